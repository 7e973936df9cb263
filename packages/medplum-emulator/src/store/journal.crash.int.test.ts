import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basic } from '../../test/contract/target.ts';
import { adminClient } from '../../test/fixtures/seed.ts';

/**
 * A crash at any point loses at most the requests in flight, never one already answered: the emulator runs in its
 * own process on a data file, writes arrive concurrently, and the process is killed with SIGKILL (no shutdown code
 * runs) while some are still in flight. After a restart on the same file, every write that got its 201 is there.
 */
const folder = mkdtempSync(join(tmpdir(), 'emulator-crash-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

const CHILD = `
  const { startEmulator } = await import(${JSON.stringify(join(import.meta.dirname, '../index.ts'))});
  const { buildSeed } = await import(${JSON.stringify(join(import.meta.dirname, '../../test/fixtures/seed.ts'))});
  const emulator = await startEmulator({ port: 0, seed: buildSeed(), dataFile: process.argv[1], log: () => {} });
  process.stdout.write('READY ' + emulator.url + '\\n');
`;

function startChild(dataFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dataFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /READY (\S+)/.exec(output)?.[1];
      if (url) resolve({ url, child });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready: ${output}`)));
  });
}

const headers = { Authorization: basic(adminClient.id, adminClient.secret), 'Content-Type': 'application/fhir+json' };

/** Writes Patients, `parallel` at a time, until `stopAfter` have been acknowledged; returns the acknowledged ids. */
async function writeUntilKilled(url: string, child: ChildProcess, stopAfter: number): Promise<string[]> {
  const acknowledged: string[] = [];
  let n = 0;
  const worker = async () => {
    while (child.exitCode === null && child.signalCode === null) {
      const response = await fetch(`${url}fhir/R4/Patient`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `crash-${n++}` }] }),
      }).catch(() => undefined);
      if (response?.status !== 201) return;
      acknowledged.push(((await response.json()) as { id: string }).id);
      if (acknowledged.length === stopAfter) child.kill('SIGKILL');
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return acknowledged;
}

describe('the data file after SIGKILL', () => {
  it('keeps every write that was answered, over three crashes mid-write', async () => {
    const dataFile = join(folder, 'emulator.jsonl');
    const answered: string[] = [];
    for (const stopAfter of [25, 60, 40]) {
      const { url, child } = await startChild(dataFile);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      answered.push(...(await writeUntilKilled(url, child, stopAfter)));
      await exited;
      expect(child.signalCode).toBe('SIGKILL');
    }
    const { url, child } = await startChild(dataFile);
    const missing: string[] = [];
    for (const id of answered) {
      const response = await fetch(`${url}fhir/R4/Patient/${id}`, { headers });
      if (response.status !== 200) missing.push(id);
    }
    child.kill('SIGTERM');
    expect(answered.length).toBeGreaterThanOrEqual(125);
    expect(missing).toEqual([]);
  });
});
