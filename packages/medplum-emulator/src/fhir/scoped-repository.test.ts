import { FhirRouter, makeSimpleRequest } from '@medplum/fhir-router';
import type { AccessPolicy, Bundle, Patient } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmulatorRepository } from '../store/emulator-repository.ts';
import type { WriteEvent } from '../subscriptions/index.ts';
import { loadFhirDefinitions } from './definitions.ts';
import { ScopedRepository } from './scoped-repository.ts';

beforeAll(() => loadFhirDefinitions());

const FULL_ACCESS: AccessPolicy = { resourceType: 'AccessPolicy', resource: [{ resourceType: '*' }] };

function setup(accessPolicy: AccessPolicy = FULL_ACCESS) {
  const system = new EmulatorRepository();
  const events: WriteEvent[] = [];
  const repo = new ScopedRepository(
    system,
    { accessPolicy, author: { reference: 'Practitioner/author' }, projectId: 'p1', fhirBaseUrl: 'http://x/fhir/R4/' },
    (event) => events.push(event)
  );
  const router = new FhirRouter();
  const run = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    router.handleRequest(makeSimpleRequest(method, path, body), repo);
  return { system, events, run };
}

describe('ScopedRepository write events', () => {
  it('reports create, update and delete with the previous version, after the write succeeded', async () => {
    const { events, run } = setup();
    const [, created] = await run('POST', 'Patient', { resourceType: 'Patient' });
    const patient = created as Patient;
    await run('PUT', `Patient/${patient.id}`, { ...patient, gender: 'female' });
    await run('PATCH', `Patient/${patient.id}`, [{ op: 'add', path: '/active', value: true }]);
    await run('DELETE', `Patient/${patient.id}`);
    expect(events.map((e) => e.interaction)).toEqual(['create', 'update', 'update', 'delete']);
    expect(events[1]?.previous?.meta?.versionId).toBe(patient.meta?.versionId);
    expect((events[2]?.resource as Patient | undefined)?.active).toBe(true);
    expect(events[3]?.resource.id).toBe(patient.id);
  });

  it('reports each entry of batch and transaction bundles', async () => {
    const { events, run } = setup();
    for (const type of ['batch', 'transaction'] as const) {
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type,
        entry: [
          {
            fullUrl: 'urn:uuid:1b1b1b1b-0000-4000-8000-000000000001',
            request: { method: 'POST', url: 'Patient' },
            resource: { resourceType: 'Patient' },
          },
          { request: { method: 'POST', url: 'Practitioner' }, resource: { resourceType: 'Practitioner' } },
        ],
      };
      const [outcome] = await run('POST', '', bundle);
      expect(outcome.id).toBe('ok');
    }
    expect(events.map((e) => `${e.interaction} ${e.resource.resourceType}`)).toEqual([
      'create Patient',
      'create Practitioner',
      'create Patient',
      'create Practitioner',
    ]);
  });

  it('reports nothing for a denied or failed write', async () => {
    const { events, run } = setup({
      resourceType: 'AccessPolicy',
      resource: [{ resourceType: 'Patient', readonly: true }],
    });
    const [outcome] = await run('POST', 'Patient', { resourceType: 'Patient' });
    expect(outcome.id).toBe('forbidden');
    const [missing] = await run('DELETE', 'Patient/does-not-exist');
    expect(missing.id).toBe('not-found');
    expect(events).toEqual([]);
  });
});

describe('ScopedRepository attribution and reads', () => {
  it('stamps author and project, drops client-sent author and onBehalfOf, and assigns the id', async () => {
    const { run } = setup();
    const [, created] = await run('POST', 'Patient', {
      resourceType: 'Patient',
      id: 'client-chosen',
      meta: {
        author: { reference: 'Practitioner/evil' },
        onBehalfOf: { reference: 'Practitioner/evil' },
        tag: [{ code: 't' }],
      },
    });
    expect(created?.id).not.toBe('client-chosen');
    expect(created?.meta).toMatchObject({
      author: { reference: 'Practitioner/author' },
      project: 'p1',
      tag: [{ code: 't' }],
    });
    expect(created?.meta?.onBehalfOf).toBeUndefined();
  });

  it('answers 410 gone after a delete, 404 for an id never used', async () => {
    const { run } = setup();
    const [, created] = await run('POST', 'Patient', { resourceType: 'Patient' });
    await run('DELETE', `Patient/${created?.id}`);
    expect((await run('GET', `Patient/${created?.id}`))[0].id).toBe('gone');
    expect((await run('GET', 'Patient/never-used'))[0].id).toBe('not-found');
  });

  it('pages search results after the policy filter, so total counts only visible resources', async () => {
    const { run } = setup({
      resourceType: 'AccessPolicy',
      resource: [{ resourceType: 'Patient', criteria: 'Patient?gender=female' }],
    });
    for (const gender of ['female', 'male', 'female', 'female'])
      await run('POST', 'Patient', { resourceType: 'Patient', gender });
    const [, page] = await run('GET', 'Patient?_count=2');
    expect((page as Bundle).total).toBe(3);
    expect((page as Bundle).entry?.length).toBe(2);
  });
});
