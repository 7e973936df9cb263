import type { MedplumClient } from '@medplum/core';
import type { ActivityDefinition, ObservationDefinition } from '@medplum/fhirtypes';
import { type SeededEmulator, signInAsClient, startSeededEmulator } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogSource, readCatalogSource } from './catalog.ts';
import { publishCatalog } from './publish.ts';

// Integration: the pipeline's own client against the emulator seeded with the dev model, over real HTTP.
let seeded: SeededEmulator;
let pipeline: MedplumClient;
const source = readCatalogSource();

beforeAll(async () => {
  seeded = await startSeededEmulator();
  pipeline = await signInAsClient(seeded.emulator.url, seeded.clients.pipeline);
});
afterAll(async () => {
  await seeded?.emulator.stop();
});

async function versions(): Promise<string[]> {
  const all = [
    ...(await pipeline.searchResources('ObservationDefinition', { _count: '100' })),
    ...(await pipeline.searchResources('ActivityDefinition', { _count: '100' })),
    ...(await pipeline.searchResources('ValueSet', { _count: '100' })),
  ];
  return all.map((r) => `${r.resourceType}/${r.id}/${r.meta?.versionId}`).sort();
}

describe('publishing the catalogue', () => {
  it('creates every resource the first time; the second run changes nothing (no new versions)', async () => {
    const first = await publishCatalog(pipeline, source);
    const total = source.analytes.length + source.tests.length + 1;
    expect(first.changes.filter((c) => c.action === 'created')).toHaveLength(total);
    const before = await versions();
    expect(before).toHaveLength(total);
    const second = await publishCatalog(pipeline, source);
    expect(second.drift).toBe(false);
    expect(second.changes.every((c) => c.action === 'unchanged')).toBe(true);
    expect(await versions()).toEqual(before);
  });

  it('links each test to the ObservationDefinitions of its analytes', async () => {
    const tests = (await pipeline.searchResources('ActivityDefinition', { status: 'active' })) as ActivityDefinition[];
    const panel = tests.find((t) => t.code?.coding?.[0]?.code === '58410-2');
    const analytes = await Promise.all(
      (panel?.observationResultRequirement ?? []).map((ref) => pipeline.readReference(ref))
    );
    expect(analytes.map((a) => (a as ObservationDefinition).code?.coding?.[0]?.code)).toEqual([
      '718-7',
      '6690-2',
      '789-8',
      '777-3',
    ]);
  });

  it('--check / --dry-run report drift field by field and write nothing; apply repairs it', async () => {
    const glucose = (await pipeline.searchOne('ObservationDefinition', {
      code: 'http://loinc.org|2345-7',
    })) as ObservationDefinition;
    await pipeline.updateResource({ ...glucose, quantitativeDetails: { decimalPrecision: 3 } });
    const before = await versions();
    const check = await publishCatalog(pipeline, source, { mode: 'check' });
    expect(check.drift).toBe(true);
    expect(check.changes.find((c) => c.action === 'updated')?.fields?.map((f) => f.field)).toEqual([
      'quantitativeDetails',
    ]);
    expect((await publishCatalog(pipeline, source, { mode: 'dry-run' })).drift).toBe(true);
    expect(await versions()).toEqual(before);
    await publishCatalog(pipeline, source);
    expect((await publishCatalog(pipeline, source, { mode: 'check' })).drift).toBe(false);
  });

  it('a new catalogue version retires the previous one: one active version per test', async () => {
    const next: CatalogSource = { ...source, version: '2099.1' };
    const report = await publishCatalog(pipeline, next);
    expect(report.changes.filter((c) => c.action === 'retired')).toHaveLength(source.tests.length + 1);
    const active = (await pipeline.searchResources('ActivityDefinition', { status: 'active' })) as ActivityDefinition[];
    expect(active).toHaveLength(source.tests.length);
    expect(new Set(active.map((a) => a.version))).toEqual(new Set(['2099.1']));
  });
});

describe('the pipeline identity reaches the catalogue only', () => {
  for (const resourceType of ['Patient', 'Observation', 'ServiceRequest'] as const) {
    it(`is refused for ${resourceType}: search, read and create`, async () => {
      const headers = { Authorization: `Bearer ${pipeline.getAccessToken()}`, 'Content-Type': 'application/fhir+json' };
      const base = `${seeded.emulator.url}fhir/R4/${resourceType}`;
      const search = await fetch(base, { headers });
      const create = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ resourceType }) });
      expect([search.status, create.status]).toEqual([403, 403]);
      const read = await fetch(`${base}/${seeded.options.device.clientId}`, { headers });
      expect([403, 404]).toContain(read.status);
    });
  }
});
