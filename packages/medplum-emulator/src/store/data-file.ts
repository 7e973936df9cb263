import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EmulatorStartError } from '../errors.ts';
import type { RepositorySnapshot } from './emulator-repository.ts';

const FORMAT = 'medplum-emulator/1';

/** The data file: every resource version, Logins and signing keys included (they are resources too). */
export interface DataFileContent {
  format: typeof FORMAT;
  repository: RepositorySnapshot;
}

/** Undefined when the file does not exist yet (first start). */
export function readDataFile(path: string): DataFileContent | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EmulatorStartError(
      `Cannot read the data file ${path}: ${(error as Error).message}. Check its permissions.`
    );
  }
  let content: Partial<DataFileContent>;
  try {
    content = JSON.parse(text) as Partial<DataFileContent>;
  } catch {
    throw new EmulatorStartError(
      `The data file ${path} is not valid JSON. Delete it to start from the seed again, or restore a backup.`
    );
  }
  if (content.format !== FORMAT || !content.repository) {
    throw new EmulatorStartError(
      `The data file ${path} was not written by this emulator (expected format "${FORMAT}"). Point --data-file elsewhere or delete it.`
    );
  }
  return content as DataFileContent;
}

/**
 * Written synchronously after every change, to a temporary file renamed over the old one: a crash leaves either the
 * old or the new file, never half of one, and a response is only sent once its write is on disk.
 */
export function writeDataFile(path: string, repository: RepositorySnapshot): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const content: DataFileContent = { format: FORMAT, repository };
  writeFileSync(temporary, JSON.stringify(content));
  renameSync(temporary, path);
}
