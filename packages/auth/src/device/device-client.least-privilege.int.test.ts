import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { forbidden, notFound } from '@medplum/core';
import type { DiagnosticReport, Observation, Resource, ResourceType, ServiceRequest } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceResultSystem, SEED_IDS } from '../ids.ts';
import { clientCredentials } from '../server/credentials.ts';
import { refusalOf } from '../server/refusal.ts';
import { createServiceClient, type ServiceClient } from '../server/service-client.ts';
import { startSeededEmulator } from '../testing/emulator.ts';
import { serveFetch } from '../testing/http-server.ts';
import { onBehalfOfRefused, outcomeOf } from '../testing/outcomes.ts';
import { createDeviceClient, type DeviceClient } from './device-client.ts';
import { loadOrCreateDeviceKey } from './device-key.ts';

// Integration: the device identity against the started emulator, for each credential method.
let env: Awaited<ReturnType<typeof startSeededEmulator>>;
let jwksServer: Awaited<ReturnType<typeof serveFetch>>;
let dataDir: string;
let admin: ServiceClient;
let ownOrder: ServiceRequest;
let otherOrder: ServiceRequest;

const analyzer = `Device/${SEED_IDS.analyzerDevice}`;
const otherDevice = `Device/${SEED_IDS.otherDevice}`;
const patient = `Patient/${SEED_IDS.patientMaria}`;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'device-int-'));
  const key = await loadOrCreateDeviceKey(dataDir);
  jwksServer = await serveFetch(() => Response.json(key.jwks));
  env = await startSeededEmulator({
    device: { jwksUri: `${jwksServer.url}/.well-known/jwks.json`, webhook: { url: `${jwksServer.url}/hook` } },
  });
  admin = createServiceClient({
    baseUrl: env.emulator.url,
    credentials: clientCredentials({
      clientId: env.clients.proxy.clientId,
      clientSecret: env.clients.proxy.clientSecret,
    }),
  });
  const order = (performer: string): ServiceRequest => ({
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: patient },
    code: { text: 'Complete blood count' },
    performer: [{ reference: performer }],
  });
  // Orders are placed by the practitioner (the proxy itself may only read them).
  const doctor = admin.onBehalfOf(`ProjectMembership/${SEED_IDS.practitionerMembership}`);
  ownOrder = await doctor.createResource(order(analyzer));
  otherOrder = await doctor.createResource(order(otherDevice));
});
afterAll(async () => {
  await env?.emulator.stop();
  await jwksServer?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** How Medplum answered: `'allowed'`, its exact `forbidden` (403) or `not-found` (404) outcome, or what else it sent. */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'allowed';
  } catch (error) {
    const outcome = outcomeOf(error);
    if (isDeepStrictEqual(outcome, forbidden)) return 'forbidden';
    if (isDeepStrictEqual(outcome, notFound)) return 'not-found';
    return outcome ? JSON.stringify(outcome) : String(error);
  }
}

function device(method: 'client-credentials' | 'basic' | 'private-key-jwt'): Promise<DeviceClient> {
  return createDeviceClient({
    baseUrl: env.emulator.url,
    method,
    clientId: env.clients.device.clientId,
    clientSecret: env.clients.device.clientSecret,
    dataDir,
  });
}

function observation(deviceRef: string, value: string): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'Hemoglobin' },
    subject: { reference: patient },
    device: { reference: deviceRef },
    basedOn: [{ reference: `ServiceRequest/${ownOrder.id}` }],
    identifier: [{ system: deviceResultSystem(SEED_IDS.analyzerDevice), value }],
    valueQuantity: { value: 13.5, unit: 'g/dL' },
  };
}

describe.each(['client-credentials', 'basic', 'private-key-jwt'] as const)('device identity with %s', (method) => {
  it('obtains access, reads its orders and posts a result', async () => {
    const client = await device(method);
    const orders = await client.searchResources('ServiceRequest');
    expect(orders.map((o) => o.id)).toContain(ownOrder.id);
    expect(orders.map((o) => o.id)).not.toContain(otherOrder.id);
    const created = await client.createResource(observation(analyzer, `${method}-1`));
    expect(created.meta?.author?.reference).toBe(`ClientApplication/${env.clients.device.clientId}`);
  });
});

describe('device least privilege (client credentials)', () => {
  let client: DeviceClient;
  beforeAll(async () => {
    client = await device('client-credentials');
  });

  it('may create its results conditionally (If-None-Exist), without duplicates', async () => {
    const system = deviceResultSystem(SEED_IDS.analyzerDevice);
    const first = await client.createResourceIfNoneExist(
      observation(analyzer, 'cond-1'),
      `identifier=${system}|cond-1`
    );
    const again = await client.createResourceIfNoneExist(
      observation(analyzer, 'cond-1'),
      `identifier=${system}|cond-1`
    );
    expect(again.id).toBe(first.id);
    const report = await client.createResourceIfNoneExist<DiagnosticReport>(
      {
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { text: 'CBC' },
        subject: { reference: patient },
        basedOn: [{ reference: `ServiceRequest/${ownOrder.id}` }],
        result: [{ reference: `Observation/${first.id}` }],
        identifier: [{ system, value: 'report-1' }],
      },
      `identifier=${system}|report-1`
    );
    const reports = await client.searchResources('DiagnosticReport', { identifier: `${system}|report-1` });
    expect(reports.map((found) => found.id)).toEqual([report.id]);
    expect(reports[0]?.result).toEqual([{ reference: `Observation/${first.id}` }]);
  });

  it('is refused (403) every interaction on every type outside its policy', async () => {
    const types: ResourceType[] = [
      'Patient',
      'Practitioner',
      'Device',
      'Organization',
      'Communication',
      'Encounter',
      'Condition',
      'MedicationRequest',
      'Subscription',
      'AccessPolicy',
      'ProjectMembership',
      'ClientApplication',
      'Bot',
      'User',
    ];
    const failures: string[] = [];
    for (const type of types) {
      const attempts: Record<string, () => Promise<unknown>> = {
        read: () => client.readResource(type, SEED_IDS.patientMaria),
        search: () => client.searchResources(type),
        create: () => client.createResource({ resourceType: type } as Resource),
        update: () => client.updateResource({ resourceType: type, id: SEED_IDS.patientMaria } as Resource),
        delete: () => client.deleteResource(type, SEED_IDS.patientMaria),
      };
      for (const [interaction, call] of Object.entries(attempts)) {
        const answer = await refusal(call);
        if (answer !== 'forbidden') failures.push(`${interaction} ${type}: ${answer}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('is refused (403) the interactions its types do not grant', async () => {
    const existing = await client.createResource(observation(analyzer, 'not-to-touch'));
    const attempts: Record<string, () => Promise<unknown>> = {
      'create ServiceRequest': () => client.createResource({ ...ownOrder, id: undefined }),
      'update ServiceRequest': () => client.updateResource(ownOrder),
      'delete ServiceRequest': () => client.deleteResource('ServiceRequest', ownOrder.id ?? ''),
      'update Observation': () => client.updateResource({ ...existing, status: 'cancelled' }),
      'delete Observation': () => client.deleteResource('Observation', existing.id ?? ''),
      'create Observation for another device': () => client.createResource(observation(otherDevice, 'forged')),
      'create DiagnosticReport outside its identifier system': () =>
        client.createResource<DiagnosticReport>({
          resourceType: 'DiagnosticReport',
          status: 'final',
          code: { text: 'CBC' },
          identifier: [{ system: deviceResultSystem(SEED_IDS.otherDevice), value: 'x' }],
        }),
    };
    const failures: string[] = [];
    for (const [label, call] of Object.entries(attempts)) {
      const answer = await refusal(call);
      if (answer !== 'forbidden') failures.push(`${label}: ${answer}`);
    }
    expect(failures).toEqual([]);
  });

  it("cannot see another device's orders (read refused, search excludes them)", async () => {
    // Medplum filters reads by the policy criteria: a resource outside them reads as if it did not exist (404).
    expect(await refusal(() => client.readResource('ServiceRequest', otherOrder.id ?? ''))).toBe('not-found');
    const visible = await client.searchResources('ServiceRequest', { performer: otherDevice });
    expect(visible).toHaveLength(0);
  });

  it('cannot act on behalf of anyone', async () => {
    const error = await client
      .onBehalfOf(`ProjectMembership/${SEED_IDS.practitionerMembership}`)
      .searchResources('ServiceRequest')
      .catch((e: unknown) => e);
    expect(outcomeOf(error)).toEqual(onBehalfOfRefused);
    expect(refusalOf(error)).toBe('on-behalf-of');
  });
});
