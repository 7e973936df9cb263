import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEvent, Bundle, Extension, Patient, Project, Resource, Subscription } from '@medplum/fhirtypes';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Receiver, ReceiverHandler } from '../../src/subscriptions/test-support.ts';
import { startReceiver } from '../../src/subscriptions/test-support.ts';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { basic, startTarget } from '../contract/target.ts';
import { adminClient, buildSeed, PROJECT_ID, SECOND_PROJECT_ID } from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

/*
 * Medplum's rest-hook subscription worker (packages/server/src/workers/subscription.ts), observed from outside: writes
 * through the FHIR API, a real webhook receiver on 127.0.0.1, and the AuditEvents read back over FHIR. Medplum's tests
 * run the queued job by hand ("Job not found" = nothing was queued); here "nothing queued" is "no request reached the
 * receiver and no AuditEvent names the Subscription once the emulator is idle". Every case needs the emulator (its
 * `idle()`, a receiver it can reach, a short retry delay; without `idle()` a "nothing delivered" case could not fail),
 * so against a real Medplum all are seed-bound.
 */

const MAX_ATTEMPTS_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts';
const SUPPORTED_INTERACTION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction';
const SECRET_URL = 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret';
const LEGACY_SECRET_URL = 'https://www.medplum.com/fhir/StructureDefinition-subscriptionSecret';
const SUCCESS_CODES_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-success-codes';
const DESTINATION_URL = 'https://medplum.com/fhir/StructureDefinition/subscription-audit-event-destination';
const FHIR_PATH_URL = 'https://medplum.com/fhir/StructureDefinition/fhir-path-criteria-expression';
const TRACEPARENT = '00-12345678901234567890123456789012-3456789012345678-01';

/** A project-admin client of the second project, whose Project carries an auto-disable setting of its own. */
const secondClient = {
  id: '00000000-0000-4000-8000-000000000e51',
  membershipId: '00000000-0000-4000-8000-000000000e52',
  secret: 'second-project-client-secret-0123456789',
};

function seedWith(projectSettings: Record<string, Project['systemSetting']>): Bundle {
  const seed = buildSeed();
  for (const entry of seed.entry ?? []) {
    const resource = entry.resource as Resource;
    if (resource.resourceType === 'Project' && resource.id && projectSettings[resource.id]) {
      resource.systemSetting = projectSettings[resource.id];
    }
  }
  const meta = { project: SECOND_PROJECT_ID };
  seed.entry?.push(
    {
      resource: {
        resourceType: 'ClientApplication',
        id: secondClient.id,
        meta,
        name: 'Second project client',
        secret: secondClient.secret,
      },
    },
    {
      resource: {
        resourceType: 'ProjectMembership',
        id: secondClient.membershipId,
        meta,
        project: { reference: `Project/${SECOND_PROJECT_ID}` },
        user: { reference: `ClientApplication/${secondClient.id}` },
        profile: { reference: `ClientApplication/${secondClient.id}`, display: 'Second project client' },
        admin: true,
      },
    }
  );
  return seed;
}

const logLines: string[] = [];
let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({
    seed: seedWith({
      [SECOND_PROJECT_ID]: [
        {
          name: 'subscriptionAutoDisable',
          valueString: JSON.stringify([{ maxConsecutiveFailures: 3, timeWindowSeconds: 600 }]),
        },
      ],
    }),
    subscriptionRetryDelayMs: 5,
    log: (line) => logLines.push(line),
  });
});
afterAll(() => target.stop());

interface Client {
  id: string;
  secret: string;
}
const admin: Client = adminClient;

/** Subscriptions and receivers of the running case, cleaned up after it so they do not see later cases' writes. */
const created: { client: Client; id: string }[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const { client, id } of created.splice(0)) {
    await fhir(client, 'DELETE', `Subscription/${id}`);
  }
  await target.emulator?.idle();
  for (const receiver of receivers.splice(0)) await receiver.stop();
});

async function fhir(
  client: Client,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Response> {
  return fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    // Extended mode: resources come back with the whole `meta`, as the webhook gets them (the stored version).
    headers: {
      Authorization: basic(client.id, client.secret),
      'Content-Type': 'application/fhir+json',
      'X-Medplum': 'extended',
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function create<T extends Resource>(resource: T, client = admin, headers?: Record<string, string>): Promise<T> {
  const response = await fhir(client, 'POST', resource.resourceType, resource, headers);
  expect(response.status).toBe(201);
  return (await response.json()) as T;
}

async function update<T extends Resource>(resource: T, client = admin, headers?: Record<string, string>): Promise<T> {
  const response = await fhir(client, 'PUT', `${resource.resourceType}/${resource.id}`, resource, headers);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function remove(resource: Resource, client = admin, headers?: Record<string, string>): Promise<void> {
  const response = await fhir(client, 'DELETE', `${resource.resourceType}/${resource.id}`, undefined, headers);
  expect(response.status).toBe(200);
}

async function read<T extends Resource>(resourceType: string, id: string, client = admin): Promise<T> {
  const response = await fhir(client, 'GET', `${resourceType}/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function receiver(handler?: ReceiverHandler): Promise<Receiver> {
  const r = await startReceiver(handler);
  receivers.push(r);
  return r;
}

async function subscribe(
  endpoint: string,
  fields: Partial<Subscription> = {},
  client = admin
): Promise<Subscription & { id: string }> {
  const subscription = await create<Subscription>(
    {
      resourceType: 'Subscription',
      reason: 'test',
      status: 'active',
      criteria: 'Patient',
      ...fields,
      channel: { type: 'rest-hook', endpoint, ...fields.channel },
    },
    client
  );
  created.push({ client, id: subscription.id as string });
  return subscription as Subscription & { id: string };
}

async function auditEvents(subscription: Subscription, client = admin): Promise<AuditEvent[]> {
  const response = await fhir(client, 'GET', `AuditEvent?entity=Subscription/${subscription.id}&_count=100`);
  expect(response.status).toBe(200);
  const bundle = (await response.json()) as Bundle<AuditEvent>;
  return (bundle.entry ?? []).map((e) => e.resource as AuditEvent);
}

function alice(extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', name: [{ given: ['Alice'], family: 'Smith' }], ...extra };
}

const idle = () => target.emulator?.idle();
const bodyOf = (r: Receiver, i: number) => (r.requests[i]?.body ?? Buffer.alloc(0)).toString('utf8');
const ext = (url: string, value: Omit<Extension, 'url'>): Extension => ({ url, ...value });

const medplum = mirrorOf(
  'packages/server/src/workers/subscription.int.test.ts',
  '6995f5ace43d9801e45847a40823996dfa5e6e51'
);
medplum.describe(() => {
  medplum.it('Send subscriptions', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    await subscribe(hook.url);
    const patient = await create(alice());
    await idle();
    expect(JSON.parse(bodyOf(hook, 0))).toEqual(patient);
    await update({ ...patient, active: true });
    await idle();
    await remove(patient);
    await idle();
    expect(hook.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);
    expect(hook.requests.map((r) => r.headers['x-medplum-interaction'])).toEqual(['create', 'update', 'delete']);
  });

  medplum.it('Status code 201', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver(() => 201);
    const subscription = await subscribe(hook.url);
    const patient = await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(1);
    expect(JSON.parse(bodyOf(hook, 0))).toEqual(patient);
    expect((await auditEvents(subscription)).map((e) => e.outcome)).toEqual(['0']);
  });

  medplum.it('Send subscription with custom headers', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    const subscription = await subscribe(hook.url, {
      channel: { type: 'rest-hook', header: ['Authorization: Basic xyz'] },
    });
    const patient = await create(alice(), admin, { traceparent: TRACEPARENT });
    await idle();
    expect(JSON.parse(bodyOf(hook, 0))).toEqual(patient);
    expect(hook.requests[0]?.headers).toMatchObject({
      'content-type': 'application/fhir+json',
      authorization: 'Basic xyz',
      'x-trace-id': TRACEPARENT,
      traceparent: TRACEPARENT,
      'x-medplum-subscription': subscription.id,
      'x-medplum-interaction': 'create',
    });
    expect(hook.requests[0]?.headers['x-signature']).toBeUndefined();
  });

  medplum.it('Create-only subscription', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    await subscribe(hook.url, { extension: [ext(SUPPORTED_INTERACTION_URL, { valueCode: 'create' })] });
    const patient = await create(alice());
    await idle();
    expect(JSON.parse(bodyOf(hook, 0))).toEqual(patient);
    await update({ ...patient, active: true });
    await remove(patient);
    await idle();
    expect(hook.requests).toHaveLength(1);
  });

  medplum.it('Delete-only subscription', { seedBound: SEED_BOUND.webhooks }, async () => {
    const secret = crypto.randomUUID();
    const hook = await receiver();
    const subscription = await subscribe(hook.url, {
      extension: [ext(SUPPORTED_INTERACTION_URL, { valueCode: 'delete' }), ext(SECRET_URL, { valueString: secret })],
    });
    const patient = await create(alice());
    await update({ ...patient, active: true });
    await idle();
    expect(hook.requests).toHaveLength(0);
    await remove(patient, admin, { traceparent: TRACEPARENT });
    await idle();
    expect(hook.requests).toHaveLength(1);
    expect(bodyOf(hook, 0)).toBe('{}');
    expect(hook.requests[0]?.headers).toMatchObject({
      'content-type': 'application/fhir+json',
      'x-medplum-subscription': subscription.id,
      'x-medplum-interaction': 'delete',
      'x-medplum-deleted-resource': `Patient/${patient.id}`,
      'x-signature': createHmac('sha256', secret).update('{}').digest('hex'),
      'x-trace-id': TRACEPARENT,
      traceparent: TRACEPARENT,
    });
  });

  for (const [name, url] of [
    ['Send subscriptions with signature', SECRET_URL],
    ['Send subscriptions with legacy signature extension', LEGACY_SECRET_URL],
  ] as const) {
    medplum.it(name, { seedBound: SEED_BOUND.webhooks }, async () => {
      const secret = '0123456789';
      const hook = await receiver();
      const subscription = await subscribe(hook.url, { extension: [ext(url, { valueString: secret })] });
      const patient = await create(alice(), admin, { traceparent: TRACEPARENT });
      await idle();
      const body = bodyOf(hook, 0);
      expect(JSON.parse(body)).toEqual(patient);
      expect(hook.requests[0]?.headers).toMatchObject({
        'content-type': 'application/fhir+json',
        'x-signature': createHmac('sha256', secret).update(body).digest('hex'),
        'x-trace-id': TRACEPARENT,
        traceparent: TRACEPARENT,
        'x-medplum-subscription': subscription.id,
        'x-medplum-interaction': 'create',
      });
    });
  }

  medplum.it('Ignore non-subscription subscriptions', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    const subscription = await create<Subscription>({
      resourceType: 'Subscription',
      reason: 'test',
      status: 'active',
      criteria: 'Patient',
      channel: { type: 'email' },
    });
    created.push({ client: admin, id: subscription.id as string });
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(0);
    expect(await auditEvents(subscription)).toHaveLength(0);
  });

  medplum.it('Ignore subscriptions missing URL', { seedBound: SEED_BOUND.webhooks }, async () => {
    const subscription = await subscribe('');
    await create(alice());
    await idle();
    expect(await auditEvents(subscription)).toHaveLength(0);
  });

  // The emulator delivers to http:// endpoints, as Medplum does with `allowUnsafeOutbound` (its receivers are local).
  medplum.it(
    'Send insecure rest-hook URLs to fetch when unsafe outbound is allowed',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook = await receiver();
      expect(hook.url.startsWith('http://127.0.0.1:')).toBe(true);
      await subscribe(hook.url);
      const patient = await create(alice());
      await idle();
      expect(hook.requests).toHaveLength(1);
      expect(hook.requests[0]?.method).toBe('POST');
      expect(JSON.parse(bodyOf(hook, 0))).toEqual(patient);
    }
  );

  medplum.it(
    'Ignore subscriptions with different criteria resource type',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook = await receiver();
      const subscription = await subscribe(hook.url, { criteria: 'Observation' });
      await create(alice());
      await idle();
      expect(hook.requests).toHaveLength(0);
      expect(await auditEvents(subscription)).toHaveLength(0);
    }
  );

  medplum.it('Ignore subscriptions with different criteria parameter', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    await subscribe(hook.url, { criteria: 'Observation?status=final' });
    await create({ resourceType: 'Observation', status: 'preliminary', code: { text: 'ok' } });
    await idle();
    expect(hook.requests).toHaveLength(0);
    const final = await create({ resourceType: 'Observation', status: 'final', code: { text: 'ok' } });
    await idle();
    expect(hook.requests).toHaveLength(1);
    expect(JSON.parse(bodyOf(hook, 0))).toEqual(final);
  });

  medplum.it('Ignore disabled subscriptions', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    const subscription = await subscribe(hook.url, { status: 'off' });
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(0);
    expect(await auditEvents(subscription)).toHaveLength(0);
  });

  medplum.it('Ignore resource changes in different project', { seedBound: SEED_BOUND.secondProject }, async () => {
    const hook = await receiver();
    await subscribe(hook.url);
    await create(alice(), secondClient);
    await idle();
    expect(hook.requests).toHaveLength(0);
  });

  medplum.it(
    'Ignore resource changes in different account compartment',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook = await receiver();
      const account = `Organization/${crypto.randomUUID()}`;
      const subscription = await subscribe(hook.url, { meta: { account: { reference: account } } });
      expect(subscription.meta?.account?.reference).toBe(account);
      await create(alice());
      await idle();
      expect(hook.requests).toHaveLength(0);
    }
  );

  medplum.it('Retry on 429', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver((_request, index) => (index < 2 ? 429 : 200));
    const subscription = await subscribe(hook.url, { extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 3 })] });
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(3);
    const events = await auditEvents(subscription);
    expect(events.map((e) => [e.outcome, e.outcomeDesc]).sort()).toEqual([
      ['0', 'Attempt 2 received status 200'],
      ['4', 'Attempt 0 received status 429'],
      ['4', 'Attempt 1 received status 429'],
    ]);
  });

  medplum.it('Retry on exception', { seedBound: SEED_BOUND.webhooks }, async () => {
    // The first attempt's connection is dropped before any answer (a fetch error); the second one gets 200.
    let calls = 0;
    const server = createServer((request, response) => {
      calls++;
      if (calls === 1) {
        request.socket.destroy();
        return;
      }
      request.resume();
      request.on('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const subscription = await subscribe(url, { extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 3 })] });
      await create(alice());
      await idle();
      expect(calls).toBe(2);
      const events = await auditEvents(subscription);
      expect(events.map((e) => [e.outcome, e.outcomeDesc]).sort()).toEqual([
        ['0', 'Attempt 1 received status 200'],
        ['4', 'Attempt 0 received error TypeError: fetch failed'],
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  medplum.it('Do not throw after max job attempts', { seedBound: SEED_BOUND.webhooks }, async () => {
    const subscription = await subscribe('http://127.0.0.1:1/refused', {
      extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })],
    });
    await create(alice());
    await idle();
    const events = await auditEvents(subscription);
    expect(events.map((e) => [e.outcome, e.outcomeDesc]).sort()).toEqual([
      ['4', 'Attempt 0 received error TypeError: fetch failed'],
      ['4', 'Attempt 1 received error TypeError: fetch failed'],
    ]);
  });

  medplum.it('Stop retries if Subscription status not active', { seedBound: SEED_BOUND.webhooks }, async () => {
    let subscription: Subscription | undefined;
    const hook = await receiver(async () => {
      // Switched off while its first attempt is being answered: no attempt follows.
      await update({ ...(subscription as Subscription), status: 'off' });
      return 500;
    });
    subscription = await subscribe(hook.url);
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(1);
    expect(await auditEvents(subscription)).toHaveLength(1);
  });

  medplum.it('Stop retries if Subscription deleted', { seedBound: SEED_BOUND.webhooks }, async () => {
    let subscription: Subscription | undefined;
    const hook = await receiver(async () => {
      await remove(subscription as Subscription);
      return 500;
    });
    subscription = await subscribe(hook.url);
    created.pop();
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(1);
  });

  medplum.it('Stop retries if Resource deleted', { seedBound: SEED_BOUND.webhooks }, async () => {
    let patient: Resource | undefined;
    const hook = await receiver(async () => {
      await remove(patient as Resource);
      return 500;
    });
    const subscription = await subscribe(hook.url, {
      extension: [ext(SUPPORTED_INTERACTION_URL, { valueCode: 'create' })],
    });
    patient = await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(1);
    expect(await auditEvents(subscription)).toHaveLength(1);
  });

  medplum.it('AuditEvent has Subscription account details', { seedBound: SEED_BOUND.webhooks }, async () => {
    const account = { reference: `Organization/${crypto.randomUUID()}` };
    const hook = await receiver();
    const subscription = await subscribe(hook.url, { meta: { account } });
    await create(alice({ meta: { account } }));
    await idle();
    const events = await auditEvents(subscription);
    expect(events).toHaveLength(1);
    const [event] = events as [AuditEvent];
    expect(event.meta?.account?.reference).toBe(account.reference);
    expect(event.meta?.accounts).toHaveLength(1);
    expect(event.meta?.accounts).toContainEqual({ reference: account.reference });
    expect(event.entity).toHaveLength(2);
  });

  medplum.it('AuditEvent outcome from custom codes', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver(() => 515);
    const subscription = await subscribe(hook.url, {
      extension: [ext(SUCCESS_CODES_URL, { valueString: '200,201,410-600' })],
    });
    await create(alice());
    await idle();
    expect(hook.requests).toHaveLength(1);
    const events = await auditEvents(subscription);
    expect(events).toHaveLength(1);
    expect(events[0]?.outcome).toBe('0');
  });

  medplum.it(
    'Subscription AuditEvent destination - default behavior creates resource',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook = await receiver();
      const subscription = await subscribe(hook.url);
      await create(alice());
      await idle();
      expect(await auditEvents(subscription)).toHaveLength(1);
    }
  );

  function loggedTransmitEvents(subscription: Subscription): AuditEvent[] {
    return logLines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as AuditEvent;
        const names = parsed.entity?.some((e) => e.what?.reference === `Subscription/${subscription.id}`);
        return parsed.resourceType === 'AuditEvent' && parsed.type?.code === 'transmit' && names ? [parsed] : [];
      } catch {
        return [];
      }
    });
  }

  medplum.it('log only', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    const subscription = await subscribe(hook.url, { extension: [ext(DESTINATION_URL, { valueCode: 'log' })] });
    await create(alice());
    await idle();
    expect(await auditEvents(subscription)).toHaveLength(0);
    expect(loggedTransmitEvents(subscription)).toHaveLength(1);
  });

  medplum.it('resource and log', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    const subscription = await subscribe(hook.url, {
      extension: [ext(DESTINATION_URL, { valueCode: 'resource' }), ext(DESTINATION_URL, { valueCode: 'log' })],
    });
    await create(alice());
    await idle();
    expect(await auditEvents(subscription)).toHaveLength(1);
    expect(loggedTransmitEvents(subscription)).toHaveLength(1);
  });

  medplum.it('FhirPathCriteria extension', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    await subscribe(hook.url, { extension: [ext(FHIR_PATH_URL, { valueString: '%previous.name!=%current.name' })] });
    const patient = await create(alice());
    const patient2 = await update({ ...patient, name: [{ given: ['Bob'], family: 'Smith' }] });
    await idle();
    expect(hook.requests.map((r) => r.headers['x-medplum-interaction'])).toContain('update');
    const updateIndex = hook.requests.findIndex((r) => r.headers['x-medplum-interaction'] === 'update');
    expect(JSON.parse(bodyOf(hook, updateIndex))).toEqual(patient2);
  });

  medplum.it('FhirPathCriteria extension not met', { seedBound: SEED_BOUND.webhooks }, async () => {
    const hook = await receiver();
    await subscribe(hook.url, { extension: [ext(FHIR_PATH_URL, { valueString: '%previous.name=%current.name' })] });
    const patient = await create(alice());
    await idle();
    const before = hook.requests.length;
    await update({ ...patient, name: [{ given: ['Bob'], family: 'Smith' }] });
    await idle();
    expect(hook.requests).toHaveLength(before);
  });

  medplum.it(
    'Error during FhirPath evaluation should not result in other Subscriptions not firing',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook1 = await receiver();
      const hook2 = await receiver();
      await subscribe(hook1.url, {
        extension: [
          ext(FHIR_PATH_URL, {
            valueString:
              '%current.address.postalCode.all(%previous.address.postalCode.contains(%current.address.postalCode)).not()',
          }),
        ],
      });
      await subscribe(hook2.url);
      const patient = await create(alice({ address: [{ postalCode: '94134' }, { postalCode: '94135' }] }));
      await idle();
      const before1 = hook1.requests.length;
      await update({ ...patient, address: [{ postalCode: '94134' }, { postalCode: '94136' }] });
      await idle();
      expect(hook1.requests).toHaveLength(before1);
      expect(hook2.requests.map((r) => r.headers['x-medplum-interaction'])).toEqual(['create', 'update']);
    }
  );

  // Medplum's case counts the author's membership look-ups; observable is that all three still fire.
  medplum.it(
    'Subscription -- Access policy is evaluated once per author across multiple matching subscriptions',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hooks = [await receiver(), await receiver(), await receiver()];
      for (const hook of hooks) await subscribe(hook.url);
      await create(alice());
      await idle();
      expect(hooks.map((h) => h.requests.length)).toEqual([1, 1, 1]);
    }
  );

  medplum.it(
    'execSubscriptionJob ignores resource versions that cannot be found',
    { seedBound: SEED_BOUND.webhooks },
    async () => {
      const hook = await receiver();
      const subscription = await subscribe(hook.url, { criteria: 'Subscription' });
      const websocket = await create<Subscription>({
        resourceType: 'Subscription',
        status: 'active',
        reason: "raison d'être",
        criteria: 'Patient?name=somethingrandom',
        channel: { type: 'websocket' },
      });
      await remove(websocket);
      await idle();
      // The rest-hook Subscription's own creation matches its criteria; nothing about the websocket one is sent.
      const about = hook.requests.filter(
        (r) => (JSON.parse(r.body.toString('utf8')) as Resource).id !== subscription.id
      );
      expect(about).toHaveLength(0);
      const events = await auditEvents(subscription);
      expect(events.flatMap((e) => e.entity ?? []).map((e) => e.what?.reference)).not.toContain(
        `Subscription/${websocket.id}`
      );
    }
  );

  // Auto-disable: Medplum's cases set the server's `subscriptionAutoDisable` config, which the emulator does not
  // expose; they run here in the second project, whose `subscriptionAutoDisable` system setting holds the same
  // trigger (3 failed events in 600 s) or the one the case sets.
  async function failedEvents(subscription: Subscription, count: number, family: string): Promise<void> {
    for (let i = 0; i < count; i++) {
      await create(alice({ name: [{ given: ['Test'], family: `${family}${i}` }] }), secondClient);
      await idle();
    }
    expect((await auditEvents(subscription, secondClient)).length).toBeGreaterThan(0);
  }

  medplum.it(
    'Auto-disables subscription after threshold failures',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      const subscription = await subscribe(
        'http://127.0.0.1:1/auto-disable-test',
        { extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })] },
        secondClient
      );
      await failedEvents(subscription, 3, 'AutoDisable');
      const updated = await read<Subscription>('Subscription', subscription.id, secondClient);
      expect(updated.status).toBe('off');
      expect(updated.error).toBe('Automatically disabled after 3 consecutive failed events in the last 600 seconds');
      const serious = (await auditEvents(subscription, secondClient)).filter((e) => e.outcome === '8');
      expect(serious).toHaveLength(1);
      expect(serious[0]?.outcomeDesc).toBe(updated.error);
    }
  );

  medplum.it(
    'Auto-disables subscription that already has an error value',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      const subscription = await subscribe(
        'http://127.0.0.1:1/existing-error-test',
        { error: 'Some pre-existing error', extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })] },
        secondClient
      );
      await failedEvents(subscription, 3, 'ExistingError');
      const updated = await read<Subscription>('Subscription', subscription.id, secondClient);
      expect(updated.status).toBe('off');
      expect(updated.error).toBe('Automatically disabled after 3 consecutive failed events in the last 600 seconds');
    }
  );

  medplum.it('Failure counter resets on success', { seedBound: SEED_BOUND.secondProject }, async () => {
    let failing = true;
    const hook = await receiver(() => (failing ? 500 : 200));
    const subscription = await subscribe(
      hook.url,
      { extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })] },
      secondClient
    );
    await failedEvents(subscription, 2, 'Reset');
    failing = false;
    await failedEvents(subscription, 1, 'ResetSuccess');
    failing = true;
    await failedEvents(subscription, 2, 'ResetAgain');
    const updated = await read<Subscription>('Subscription', subscription.id, secondClient);
    expect(updated.status).toBe('active');
  });

  medplum.it(
    'Project systemSetting overrides server auto-disable config',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      const overridden = await startTarget({
        seed: seedWith({
          [PROJECT_ID]: [
            {
              name: 'subscriptionAutoDisable',
              valueString: JSON.stringify([{ maxConsecutiveFailures: 2, timeWindowSeconds: 600 }]),
            },
          ],
        }),
        subscriptionRetryDelayMs: 5,
      });
      try {
        const subscription = await createOn(overridden, {
          resourceType: 'Subscription',
          reason: 'test',
          status: 'active',
          criteria: 'Patient',
          channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:1/project-override-test' },
          extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })],
        });
        for (let i = 0; i < 2; i++) {
          await createOn(overridden, alice({ name: [{ family: `ProjectOverride${i}` }] }));
          await overridden.emulator?.idle();
        }
        const updated = await readOn<Subscription>(overridden, `Subscription/${subscription.id}`);
        expect(updated.status).toBe('off');
        expect(updated.error).toBe('Automatically disabled after 2 consecutive failed events in the last 600 seconds');
      } finally {
        await overridden.stop();
      }
    }
  );

  medplum.it(
    'Project systemSetting can disable server auto-disable config',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      const disabled = await startTarget({
        seed: seedWith({ [PROJECT_ID]: [{ name: 'subscriptionAutoDisable', valueString: '[]' }] }),
        subscriptionRetryDelayMs: 5,
        // The server config of Medplum's case; unknown to startEmulator until it has such an option (then it matters).
        subscriptionAutoDisable: [{ maxConsecutiveFailures: 2, timeWindowSeconds: 600 }],
      });
      try {
        const subscription = await createOn(disabled, {
          resourceType: 'Subscription',
          reason: 'test',
          status: 'active',
          criteria: 'Patient',
          channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:1/project-disable-override-test' },
          extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })],
        });
        for (let i = 0; i < 2; i++) {
          await createOn(disabled, alice({ name: [{ family: `ProjectDisableOverride${i}` }] }));
          await disabled.emulator?.idle();
        }
        const updated = await readOn<Subscription>(disabled, `Subscription/${subscription.id}`);
        expect(updated.status).toBe('active');
      } finally {
        await disabled.stop();
      }
    }
  );

  medplum.it(
    'Invalid project systemSetting falls back to server auto-disable config',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      const invalid = await startTarget({
        seed: seedWith({ [PROJECT_ID]: [{ name: 'subscriptionAutoDisable', valueString: 'not-json' }] }),
        subscriptionRetryDelayMs: 5,
        subscriptionAutoDisable: [{ maxConsecutiveFailures: 2, timeWindowSeconds: 600 }],
      });
      try {
        const subscription = await createOn(invalid, {
          resourceType: 'Subscription',
          reason: 'test',
          status: 'active',
          criteria: 'Patient',
          channel: { type: 'rest-hook', endpoint: 'http://127.0.0.1:1/project-invalid-override-test' },
          extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })],
        });
        for (let i = 0; i < 2; i++) {
          await createOn(invalid, alice({ name: [{ family: `ProjectInvalidOverride${i}` }] }));
          await invalid.emulator?.idle();
        }
        const updated = await readOn<Subscription>(invalid, `Subscription/${subscription.id}`);
        expect(updated.status).toBe('off');
        expect(updated.error).toBe('Automatically disabled after 2 consecutive failed events in the last 600 seconds');
      } finally {
        await invalid.stop();
      }
    }
  );

  medplum.it(
    'Patch test op prevents auto-disable when subscription is concurrently disabled',
    { seedBound: SEED_BOUND.secondProject },
    async () => {
      let subscription: Subscription | undefined;
      let calls = 0;
      const hook = await receiver(async () => {
        calls++;
        if (calls === 3) {
          const current = await read<Subscription>('Subscription', subscription?.id as string, secondClient);
          await update({ ...current, status: 'off', error: 'Disabled by admin' }, secondClient);
        }
        return 500;
      });
      subscription = await subscribe(
        hook.url,
        { extension: [ext(MAX_ATTEMPTS_URL, { valueInteger: 1 })] },
        secondClient
      );
      for (let i = 0; i < 3; i++) {
        await create(alice({ name: [{ given: ['Test'], family: `PatchTest${i}` }] }), secondClient);
        await idle();
      }
      expect(calls).toBe(3);
      const updated = await read<Subscription>('Subscription', subscription.id as string, secondClient);
      expect(updated.status).toBe('off');
      expect(updated.error).toBe('Disabled by admin');
    }
  );
});

async function createOn<T extends Resource>(on: ContractTarget, resource: T): Promise<T & { id: string }> {
  const response = await fetch(`${on.baseUrl}fhir/R4/${resource.resourceType}`, {
    method: 'POST',
    headers: { Authorization: basic(admin.id, admin.secret), 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(resource),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as T & { id: string };
}

async function readOn<T extends Resource>(on: ContractTarget, path: string): Promise<T> {
  const response = await fetch(`${on.baseUrl}fhir/R4/${path}`, {
    headers: { Authorization: basic(admin.id, admin.secret) },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}
