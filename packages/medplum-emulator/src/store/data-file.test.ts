import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmulatorStartError } from '../errors.ts';
import { readDataFile, writeDataFile } from './data-file.ts';

const folder = mkdtempSync(join(tmpdir(), 'emulator-data-file-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('data file', () => {
  it('round-trips a snapshot and leaves no temporary file behind', () => {
    const path = join(folder, 'sub', 'data.json');
    const snapshot = {
      history: { 'Patient/1': [{ resourceType: 'Patient' as const, id: '1' }] },
      current: ['Patient/1'],
    };
    writeDataFile(path, snapshot);
    writeDataFile(path, snapshot);
    expect(readDataFile(path)?.repository).toEqual(snapshot);
    expect(readdirSync(join(folder, 'sub'))).toEqual(['data.json']);
  });

  it('is undefined when the file does not exist yet', () => {
    expect(readDataFile(join(folder, 'missing.json'))).toBeUndefined();
  });

  it('refuses a file that is not JSON, or not ours, with a message saying what to do', () => {
    const broken = join(folder, 'broken.json');
    writeFileSync(broken, '{ nope');
    expect(() => readDataFile(broken)).toThrow(EmulatorStartError);
    expect(() => readDataFile(broken)).toThrow(/not valid JSON. Delete it/);
    const foreign = join(folder, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ resourceType: 'Bundle' }));
    expect(() => readDataFile(foreign)).toThrow(/not written by this emulator/);
  });
});
