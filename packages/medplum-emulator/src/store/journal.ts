import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { replaceFileDurably } from '@org/runtime';
import { EmulatorStartError } from '../errors.ts';
import type { EmulatorRepository, JournalRecord } from './emulator-repository.ts';

/**
 * The data file as an append-only journal: a header line, then one JSON line per change (a stored version, a deletion
 * or an expunge), as Medplum's server writes one row per change to Postgres. A write costs the size of the change, not
 * of everything stored.
 *
 * Durability: changes are buffered and written with one `fdatasync` per flush; the emulator flushes before it answers
 * a request (so one request or transaction is one sync, whatever it wrote) and within 10 ms of background writes
 * (webhook AuditEvents). A crash loses at most what was not yet acknowledged: a torn last line is cut off on start.
 * When the journal holds many more lines than live versions, it is compacted: rewritten to a temporary file, synced,
 * renamed over the journal.
 */
export const JOURNAL_FORMAT = 'medplum-emulator/2';
/** The format before the journal: one JSON document rewritten after every change. Migrated on first start. */
const WHOLE_FILE_FORMAT = 'medplum-emulator/1';

const BACKGROUND_FLUSH_MS = 10;

export interface DataStore {
  /** Writes every buffered change and syncs it to disk. Cheap when nothing is buffered. */
  flush(): void;
  /** Flushes and closes the file; later changes are not recorded. */
  close(): void;
  readonly path: string;
}

export interface DataStoreOptions {
  /** Compact when the journal has this many lines more than the versions it holds. Default 10,000. */
  compactSlack?: number;
}

/**
 * Loads the data file into `repo` (creating, migrating or repairing it as needed) and records every later change of
 * `repo` in it.
 */
export function openDataStore(path: string, repo: EmulatorRepository, options: DataStoreOptions = {}): DataStore {
  const compactSlack = options.compactSlack ?? 10_000;
  mkdirSync(dirname(path), { recursive: true });
  const loaded = load(path, repo);
  let fd = openSync(path, 'a');
  if (loaded.validBytes !== undefined) {
    ftruncateSync(fd, loaded.validBytes);
    fsyncSync(fd);
  }
  let lines = loaded.lines;
  let buffered: string[] = [];
  let scheduled: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  function compact(): void {
    closeSync(fd);
    lines = rewrite(path, repo);
    fd = openSync(path, 'a');
  }
  if (loaded.needsRewrite) compact();

  function flush(): void {
    if (scheduled) clearTimeout(scheduled);
    scheduled = undefined;
    if (buffered.length === 0 || closed) return;
    const text = `${buffered.join('\n')}\n`;
    lines += buffered.length;
    buffered = [];
    writeSync(fd, text);
    fdatasyncSync(fd);
    if (lines - repo.versionCount() > compactSlack) compact();
  }

  repo.onWrite = (record) => {
    if (closed) return;
    buffered.push(JSON.stringify(record));
    // A request flushes before it answers. Writes outside a request (webhook AuditEvents) wait a few milliseconds so
    // that a burst of them shares one sync; nobody is waiting on them.
    scheduled ??= setTimeout(flush, BACKGROUND_FLUSH_MS);
  };

  return {
    path,
    flush,
    close() {
      flush();
      closed = true;
      repo.onWrite = () => {};
      closeSync(fd);
    },
  };
}

interface Loaded {
  /** Lines in the journal (header included), to know when compaction pays. */
  lines: number;
  /** Set when the last line was torn (a crash mid-write): the journal is cut back to this length. */
  validBytes?: number;
  /** The file is missing, empty or in the old format: write it anew from what was loaded. */
  needsRewrite: boolean;
}

function load(path: string, repo: EmulatorRepository): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: 0, needsRewrite: true };
    throw new EmulatorStartError(
      `Cannot read the data file ${path}: ${(error as Error).message}. Check its permissions.`
    );
  }
  if (text.trim() === '') return { lines: 0, needsRewrite: true };
  if (text.trimStart().startsWith(`{"format":"${WHOLE_FILE_FORMAT}"`)) {
    repo.restore(parseWholeFile(path, text));
    return { lines: 0, needsRewrite: true };
  }
  return replay(path, text, repo);
}

function replay(path: string, text: string, repo: EmulatorRepository): Loaded {
  // Every change ends with a newline; text after the last one is a line the process was writing when it stopped.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const [headerLine = '', ...recordLines] = complete.split('\n').slice(0, -1);
  const header = parseLine(headerLine) as { format?: string } | undefined;
  if (header?.format !== JOURNAL_FORMAT) {
    throw new EmulatorStartError(
      `The data file ${path} was not written by this emulator (expected format "${JOURNAL_FORMAT}"). Point --data-file elsewhere or delete it to start from the seed again.`
    );
  }
  const records = recordLines.map((line, index) => {
    const record = parseLine(line) as JournalRecord | undefined;
    if (!record) {
      throw new EmulatorStartError(
        `The data file ${path} is damaged at line ${index + 2}. Restore a backup, or delete it to start from the seed again.`
      );
    }
    return record;
  });
  repo.replay(records);
  const torn = complete.length < text.length;
  return {
    lines: recordLines.length + 1,
    needsRewrite: false,
    ...(torn ? { validBytes: Buffer.byteLength(complete) } : {}),
  };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function parseWholeFile(path: string, text: string) {
  try {
    return (JSON.parse(text) as { repository: Parameters<EmulatorRepository['restore']>[0] }).repository;
  } catch {
    throw new EmulatorStartError(
      `The data file ${path} (format "${WHOLE_FILE_FORMAT}") is not valid JSON. Delete it to start from the seed again, or restore a backup.`
    );
  }
}

/** The journal written anew from what `repo` holds now; a crash leaves the old or the new file, never half of one. */
function rewrite(path: string, repo: EmulatorRepository): number {
  const records = repo.journalRecords();
  replaceFileDurably(path, [
    JSON.stringify({ format: JOURNAL_FORMAT }),
    ...records.map((record) => JSON.stringify(record)),
  ]);
  return records.length + 1;
}
