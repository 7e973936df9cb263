/**
 * `pnpm bench`: does the emulator stay fast as data grows? Side by side in one run, with the data file on:
 *   - create p50 with 10,000 resources stored vs an empty store (goal ≤ 1.3×),
 *   - conditional create (If-None-Exist by identifier) p50 at 10,000 Observations vs 100 (goal ≤ 1.5×),
 *   - restart time on a data file of 10,000 resources, in a fresh process (goal < 3 s).
 * The large stores are written through the emulator's own repository and journal, as `pnpm dev` would have left them.
 * Timing is measured here and never asserted in tests. `--json FILE` also writes the figures (for `pnpm bench`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Observation } from '@medplum/fhirtypes';
import { basic } from '../test/contract/target.ts';
import { adminClient, buildSeed } from '../test/fixtures/seed.ts';

const LARGE = 10_000;
const SMALL = 100;
const CALLS = 200;
const SYSTEM = 'urn:bench:sample';

const progress = (line: string) => process.stderr.write(`  ${line}\n`);

if (process.argv[2] === '--child-restart') {
  const { startEmulator } = await import('../src/index.ts');
  const emulator = await startEmulator({ port: 0, seed: buildSeed(), dataFile: process.argv[3], log: () => {} });
  const elapsed = performance.now();
  await emulator.stop();
  process.stdout.write(String(Math.round(elapsed)));
  process.exit(0);
}

const { startEmulator } = await import('../src/index.ts');
const { loadFhirDefinitions } = await import('../src/fhir/definitions.ts');
const { EmulatorRepository } = await import('../src/store/emulator-repository.ts');
const { openDataStore } = await import('../src/store/journal.ts');

const work = mkdtempSync(join(tmpdir(), 'emulator-scale-'));
const headers = { Authorization: basic(adminClient.id, adminClient.secret), 'Content-Type': 'application/fhir+json' };

function observation(tag: string, n: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    identifier: [{ system: SYSTEM, value: `${tag}-${n}` }],
    code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
    subject: { reference: `Patient/bench-${n % 50}` },
    valueQuantity: { value: n % 17, unit: 'g/dL' },
  };
}

/** A data file holding `count` Observations, written the way the running emulator writes it. */
async function storeWith(count: number, name: string): Promise<string> {
  const file = join(work, `store-${name}.jsonl`);
  loadFhirDefinitions();
  const repo = new EmulatorRepository();
  const store = openDataStore(file, repo);
  for (let n = 0; n < count; n++) {
    await repo.createResource(observation('stored', n));
    if (n % 1000 === 999) store.flush();
  }
  store.close();
  return file;
}

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * p50 of `CALLS` sequential creates (conditional ones when `conditional`) against two emulators, one on each data
 * file, called in turn (A, B, A, B…) so that both see the same machine: a ratio of two separate runs would mostly
 * measure the noise between them.
 */
async function createLatencies(files: [string, string], conditional: boolean): Promise<[number, number]> {
  const emulators = await Promise.all(
    files.map((dataFile) => startEmulator({ port: 0, seed: buildSeed(), dataFile, log: () => {} }))
  );
  const timings: [number[], number[]] = [[], []];
  try {
    for (let n = 0; n < CALLS + 20; n++) {
      for (const [which, emulator] of emulators.entries()) {
        const started = performance.now();
        const response = await fetch(`${emulator.url}fhir/R4/Observation`, {
          method: 'POST',
          headers: conditional ? { ...headers, 'If-None-Exist': `identifier=${SYSTEM}|conditional-${n}` } : headers,
          body: JSON.stringify(observation(conditional ? 'conditional' : 'plain', n)),
        });
        await response.arrayBuffer();
        if (response.status !== 201) throw new Error(`create answered ${response.status}`);
        if (n >= 20) timings[which as 0 | 1].push(performance.now() - started); // the first calls warm up the JIT
      }
    }
  } finally {
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  }
  return [p50(timings[0]), p50(timings[1])];
}

function restartMs(file: string): number {
  const self = fileURLToPath(import.meta.url);
  const runs = [1, 2, 3].map(() =>
    Number(execFileSync(process.execPath, [self, '--child-restart', file], { encoding: 'utf8' }))
  );
  return p50(runs);
}

progress(`writing two stores of ${LARGE} Observations and one of ${SMALL}`);
const [largeForCreates, largeForConditional, small] = [
  await storeWith(LARGE, 'a'),
  await storeWith(LARGE, 'b'),
  await storeWith(SMALL, 'c'),
];
progress(`create p50: empty store vs ${LARGE} stored, alternating`);
const [createEmpty, createLarge] = await createLatencies([join(work, 'empty.jsonl'), largeForCreates], false);
progress(`conditional create p50: ${SMALL} stored vs ${LARGE} stored, alternating`);
const [conditionalSmall, conditionalLarge] = await createLatencies([small, largeForConditional], true);
progress(`restart on ${LARGE} resources (3 fresh processes)`);
const restart = restartMs(largeForCreates);
rmSync(work, { recursive: true, force: true });

const figures = {
  stored: LARGE,
  createEmptyMs: createEmpty,
  createLargeMs: createLarge,
  conditionalSmallMs: conditionalSmall,
  conditionalLargeMs: conditionalLarge,
  restartLargeMs: restart,
};
process.stdout.write(
  [
    `create p50: ${createLarge.toFixed(1)} ms with ${LARGE} stored vs ${createEmpty.toFixed(1)} ms empty (${(createLarge / createEmpty).toFixed(2)}×)`,
    `conditional create p50: ${conditionalLarge.toFixed(1)} ms at ${LARGE} vs ${conditionalSmall.toFixed(1)} ms at ${SMALL} (${(conditionalLarge / conditionalSmall).toFixed(2)}×)`,
    `restart with ${LARGE} resources: ${restart} ms`,
    '',
  ].join('\n')
);
const { values } = parseArgs({ options: { json: { type: 'string' } } });
if (values.json) writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
