import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorStartError } from '../errors.ts';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { EmulatorRepository } from './emulator-repository.ts';
import { type DataStore, openDataStore } from './journal.ts';

const folder = mkdtempSync(join(tmpdir(), 'emulator-journal-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
beforeAll(() => loadFhirDefinitions());

let files = 0;
function freshFile(): string {
  return join(folder, `data-${++files}.jsonl`);
}

function open(path: string, compactSlack?: number): { repo: EmulatorRepository; store: DataStore } {
  const repo = new EmulatorRepository();
  const store = openDataStore(path, repo, compactSlack === undefined ? {} : { compactSlack });
  return { repo, store };
}

function linesOf(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });

describe('the data file as a journal', () => {
  it('starts with its format line and adds one line per change, written on flush', async () => {
    const path = freshFile();
    const { repo, store } = open(path);
    expect(linesOf(path)).toEqual(['{"format":"medplum-emulator/2"}']);
    const created = await repo.createResource(patient('One'));
    await repo.updateResource({ ...created, name: [{ family: 'Two' }] });
    await repo.deleteResource('Patient', created.id);
    expect(linesOf(path)).toHaveLength(1); // buffered until the flush that precedes the response
    store.flush();
    const records = linesOf(path)
      .slice(1)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => Object.keys(record)[0])).toEqual(['put', 'put', 'delete']);
    store.close();
  });

  it('gives back, after a restart, every resource, version, deletion and expunge as it was', async () => {
    const path = freshFile();
    const first = open(path);
    const kept = await first.repo.createResource(patient('Kept'));
    const updated = await first.repo.updateResource({ ...kept, name: [{ family: 'Kept again' }] });
    const deleted = await first.repo.createResource(patient('Deleted'));
    await first.repo.deleteResource('Patient', deleted.id);
    const expunged = await first.repo.createResource(patient('Expunged'));
    await first.repo.expungeResources('Patient', [expunged.id]);
    first.store.close();

    const second = open(path);
    expect(await second.repo.readResource('Patient', kept.id)).toEqual(updated);
    expect(second.repo.versionsOf('Patient', kept.id)).toEqual(first.repo.versionsOf('Patient', kept.id));
    expect(second.repo.isDeleted('Patient', deleted.id)).toBe(true);
    expect(second.repo.wasEverWritten('Patient', expunged.id)).toBe(false);
    expect(second.repo.list('Patient')).toEqual(first.repo.list('Patient'));
    second.store.close();
  });

  it('cuts off a line torn by a crash and keeps every complete one', async () => {
    const path = freshFile();
    const first = open(path);
    const saved = await first.repo.createResource(patient('Saved'));
    first.store.close();
    const complete = statSync(path).size;
    appendFileSync(path, '{"put":{"resourceType":"Patient","id":"torn","na');

    const second = open(path);
    expect(await second.repo.readResource('Patient', saved.id)).toEqual(saved);
    expect(second.repo.wasEverWritten('Patient', 'torn')).toBe(false);
    expect(statSync(path).size).toBe(complete);
    // The repaired journal takes new lines after the last complete one.
    await second.repo.createResource(patient('After'));
    second.store.close();
    expect(
      open(path)
        .repo.list<Patient>('Patient')
        .map((p) => p.name?.[0]?.family)
    ).toEqual(['Saved', 'After']);
  });

  it('refuses a journal damaged before its last line, naming the line and what to do', () => {
    const path = freshFile();
    writeFileSync(path, '{"format":"medplum-emulator/2"}\nnot json\n{"expunge":{"resourceType":"Patient","ids":[]}}\n');
    expect(() => open(path)).toThrow(EmulatorStartError);
    expect(() => open(path)).toThrow(
      `The data file ${path} is damaged at line 2. Restore a backup, or delete it to start from the seed again.`
    );
  });

  it('refuses a file it did not write', () => {
    const path = freshFile();
    writeFileSync(path, '{"hello":"world"}\n');
    expect(() => open(path)).toThrow(
      `The data file ${path} was not written by this emulator (expected format "medplum-emulator/2"). Point --data-file elsewhere or delete it to start from the seed again.`
    );
  });

  it('migrates a data file of the earlier whole-file format once, keeping its resources and history', async () => {
    const path = freshFile();
    const version = (family: string, versionId: string) => ({
      resourceType: 'Patient',
      id: 'p1',
      name: [{ family }],
      meta: { versionId, lastUpdated: '2026-01-01T00:00:00.000Z' },
    });
    writeFileSync(
      path,
      JSON.stringify({
        format: 'medplum-emulator/1',
        repository: {
          history: { 'Patient/p1': [version('Old', 'v1'), version('New', 'v2')] },
          current: ['Patient/p1'],
        },
      })
    );
    const { repo, store } = open(path);
    store.close();
    expect(linesOf(path)[0]).toBe('{"format":"medplum-emulator/2"}');
    const reopened = open(path).repo;
    expect(await reopened.readResource('Patient', 'p1')).toEqual(version('New', 'v2'));
    expect(reopened.versionsOf('Patient', 'p1')).toEqual(repo.versionsOf('Patient', 'p1'));
    expect(reopened.versionsOf('Patient', 'p1')).toHaveLength(2);
  });

  it('compacts when it holds many more lines than versions, and the compacted journal loads the same', async () => {
    const path = freshFile();
    const { repo, store } = open(path, 5);
    let current = await repo.createResource(patient('v0'));
    for (let i = 0; i < 3; i++) {
      const doomed = await repo.createResource(patient('Expunged'));
      await repo.expungeResources('Patient', [doomed.id]);
    }
    store.flush(); // 1 header + 7 lines for 1 version: compacted to the header and that version
    expect(linesOf(path)).toHaveLength(2);
    for (let i = 1; i <= 8; i++) {
      current = await repo.updateResource({ ...current, name: [{ family: `v${i}` }] });
      store.flush();
    }
    store.close();
    // The updates add one line per version: no more compaction, the 9 versions are 9 lines.
    expect(linesOf(path)).toHaveLength(1 + 9);
    const reopened = open(path).repo;
    expect(await reopened.readResource('Patient', current.id)).toEqual(current);
    expect(reopened.versionsOf('Patient', current.id)).toEqual(repo.versionsOf('Patient', current.id));
  });
});
