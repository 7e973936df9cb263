import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFhirDefinitions } from '../fhir/definitions.ts';
import { EmulatorRepository } from './emulator-repository.ts';

/**
 * The index may only narrow what is scanned, never change an answer: every query runs on the emulator's indexed
 * repository and on a plain MemoryRepository holding the same writes, and both answers must be equal.
 */
const indexed = new EmulatorRepository();
const plain = new MemoryRepository();

async function both(write: (repo: MemoryRepository) => Promise<unknown>): Promise<void> {
  await indexed.withSeeding(() => write(indexed));
  await plain.withSeeding(() => write(plain));
}

function observation(id: string, fields: Partial<Observation>): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { text: 'x' },
    meta: { versionId: `v-${id}`, lastUpdated: '2026-01-01T00:00:00.000Z' },
    ...fields,
  };
}

beforeAll(async () => {
  loadFhirDefinitions();
  const resources: Resource[] = [
    observation('o1', { identifier: [{ system: 'urn:lab', value: 'A-1' }], subject: { reference: 'Patient/p1' } }),
    observation('o2', { identifier: [{ system: 'urn:lab', value: 'a-1' }], subject: { reference: 'Patient/p2' } }),
    observation('o3', { identifier: [{ value: 'A-1' }], subject: { reference: 'http://example.com/fhir/Patient/p1' } }),
    observation('o4', {
      identifier: [{ system: 'urn:other', value: 'B-2' }],
      subject: { reference: 'Patient/p1/_history/3' },
      basedOn: [{ reference: 'ServiceRequest/s1' }],
    }),
    observation('o5', { basedOn: [{ reference: 'ServiceRequest/s1' }, { reference: 'ServiceRequest/s2' }] }),
    observation('o6', { hasMember: [{ reference: 'Observation/o1' }], subject: { reference: 'Group/g1' } }),
  ];
  for (const resource of resources) await both((repo) => repo.createResource(resource));
  // An update that changes the keys, a delete, and a re-create: the index and the result order must follow.
  await both((repo) => repo.updateResource(observation('o2', { identifier: [{ system: 'urn:lab', value: 'C-3' }] })));
  await both((repo) => repo.deleteResource('Observation', 'o5'));
  await both((repo) => repo.createResource(observation('o5', { basedOn: [{ reference: 'ServiceRequest/s1' }] })));
});

const queries = [
  'Observation?identifier=urn:lab|A-1',
  'Observation?identifier=URN:LAB|a-1',
  'Observation?identifier=A-1',
  'Observation?identifier=a-1,B-2',
  'Observation?identifier=urn:lab|C-3',
  'Observation?identifier=urn:lab|',
  'Observation?identifier=|A-1',
  'Observation?identifier=nothing',
  'Observation?subject=Patient/p1',
  'Observation?patient=Patient/p1',
  'Observation?subject=Patient/p2',
  'Observation?based-on=ServiceRequest/s1',
  'Observation?based-on=ServiceRequest/s1,ServiceRequest/s2',
  'Observation?based-on=ServiceRequest/s1&_count=1&_offset=1',
  'Observation?based-on=ServiceRequest/s1&_sort=-_id',
  'Observation?has-member=Observation/o1',
  'Observation?subject=Group/g1&identifier=A-1',
  'Observation?subject:missing=true',
  'Observation?status=final',
];

describe('identifier and reference searches through the index', () => {
  it.each(queries)('%s answers exactly as a full scan', async (query) => {
    const expected = await plain.search(parseSearchRequest(query));
    const actual = await indexed.search(parseSearchRequest(query));
    expect(actual).toEqual(expected);
  });

  it('narrows identifier and reference searches (so a search looks at the few candidates, not every resource)', async () => {
    const stored = indexed.list('Observation').length;
    const seen: number[] = [];
    const internals = indexed as unknown as { resources: Map<string, Map<string, Resource>> };
    const original = internals.resources.get.bind(internals.resources);
    internals.resources.get = (type: string) => {
      const map = original(type);
      if (type === 'Observation' && map) seen.push(map.size);
      return map;
    };
    try {
      await indexed.search(parseSearchRequest('Observation?identifier=urn:lab|C-3'));
    } finally {
      internals.resources.get = original;
    }
    expect(stored).toBe(6);
    expect(seen).toContain(1);
  });
});
