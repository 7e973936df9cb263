import { createHmac } from 'node:crypto';
import { stringify } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { AuditEvent, Extension, Patient, Resource, ServiceRequest, Subscription } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createSubscriptionDispatcher } from './dispatcher.ts';
import { requestTrace } from './request-trace.ts';
import {
  FHIR_PATH_CRITERIA_URL,
  MAX_ATTEMPTS_URL,
  SUBSCRIPTION_SECRET_URL,
  SUPPORTED_INTERACTION_URL,
} from './rest-hook.ts';
import type { Receiver, ReceiverHandler } from './test-support.ts';
import { closedPort, deferred, loadDefinitions, startReceiver } from './test-support.ts';
import type { SubscriptionDispatcher, WriteEvent } from './types.ts';

const SECRET = 'dev-webhook-secret';
const PROJECT = 'project-1';

let repo: MemoryRepository;
let receiver: Receiver | undefined;
let dispatcher: SubscriptionDispatcher | undefined;
let logLines: string[];

beforeAll(() => {
  loadDefinitions();
});

afterEach(async () => {
  await dispatcher?.stop();
  await receiver?.stop();
  dispatcher = undefined;
  receiver = undefined;
});

async function setup(
  handler?: ReceiverHandler,
  options: {
    requestTimeoutMs?: number;
    baseRetryDelayMs?: number;
    autoDisable?: { maxConsecutiveFailures: number; timeWindowSeconds: number }[];
  } = {}
) {
  repo = new MemoryRepository();
  receiver = await startReceiver(handler);
  logLines = [];
  dispatcher = createSubscriptionDispatcher({
    repo,
    baseRetryDelayMs: options.baseRetryDelayMs ?? 1,
    requestTimeoutMs: options.requestTimeoutMs,
    ...(options.autoDisable ? { autoDisable: options.autoDisable } : {}),
    log: (line) => logLines.push(line),
  });
  return { receiver, dispatcher };
}

async function subscribe(overrides: Partial<Subscription> & { extension?: Extension[] } = {}) {
  return repo.createResource<Subscription>({
    resourceType: 'Subscription',
    meta: { project: PROJECT },
    status: 'active',
    reason: 'test',
    criteria: 'Patient',
    channel: { type: 'rest-hook', endpoint: receiver?.url },
    ...overrides,
  });
}

/** Writes like the emulator does, then notifies the dispatcher. */
async function create<T extends Resource>(resource: T) {
  const created = await repo.createResource<T>(resource);
  dispatcher?.notify({ resource: created, interaction: 'create' });
  return created;
}

async function update<T extends Resource>(resource: T & { id: string }) {
  const previous = await repo.readResource<T>(resource.resourceType, resource.id);
  const updated = await repo.updateResource<T>(resource);
  dispatcher?.notify({ resource: updated, interaction: 'update', previous });
  return updated;
}

async function remove(resource: Resource & { id: string }) {
  const last = await repo.readResource(resource.resourceType, resource.id);
  await repo.deleteResource(resource.resourceType, resource.id);
  dispatcher?.notify({ resource: last, interaction: 'delete', previous: last });
}

async function auditEventsFor(subscription: Subscription): Promise<AuditEvent[]> {
  const all = await repo.searchResources<AuditEvent>({ resourceType: 'AuditEvent' });
  return all
    .filter((e) => e.entity?.some((x) => x.what?.reference === `Subscription/${subscription.id}`))
    .sort((a, b) => (a.outcomeDesc ?? '').localeCompare(b.outcomeDesc ?? ''));
}

function hmac(body: Buffer | string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

describe('rest-hook request', () => {
  test('POSTs the exact stored version with Medplum headers in order and a signature over the raw body', async () => {
    const { receiver, dispatcher } = await setup();
    const subscription = await subscribe({
      channel: { type: 'rest-hook', endpoint: receiver.url, header: ['Authorization: Basic dXNlcjpwYXNz'] },
      extension: [{ url: SUBSCRIPTION_SECRET_URL, valueString: SECRET }],
    });
    const patient = await create<Patient>({ resourceType: 'Patient', name: [{ given: ['Ünïcode'], family: 'Ä' }] });
    await dispatcher.idle();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    if (!request) throw new Error('no request');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hook');
    expect(request.body.toString('utf8')).toBe(stringify(patient));
    expect(request.headers['content-type']).toBe('application/fhir+json');
    expect(request.headers['x-medplum-subscription']).toBe(subscription.id);
    expect(request.headers['x-medplum-interaction']).toBe('create');
    expect(request.headers['x-medplum-deleted-resource']).toBeUndefined();
    expect(request.headers.authorization).toBe('Basic dXNlcjpwYXNz');
    expect(request.headers['x-signature']).toBe(hmac(request.body));
    expect(request.headers['x-signature']).not.toBe(hmac(request.body, 'another-secret'));
    // Medplum's order, custom headers after the standard ones, signature last
    const ours = ['content-type', 'x-medplum-subscription', 'x-medplum-interaction', 'authorization', 'x-signature'];
    expect(request.headerOrder.filter((h) => ours.includes(h))).toEqual(ours);
  });

  test('keeps only the first two ":"-separated parts of a channel.header entry, as Medplum does', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({
      channel: { type: 'rest-hook', endpoint: receiver.url, header: ['X-Callback :  http://example.com:8080/x '] },
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests[0]?.headers['x-callback']).toBe('http');
  });

  test('sends no X-Signature without the www. secret extension', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({
      extension: [{ url: 'https://medplum.com/fhir/StructureDefinition/subscription-secret', valueString: SECRET }],
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers['x-signature']).toBeUndefined();
  });

  test('a delete sends {} with X-Medplum-Deleted-Resource, signed over {}', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({
      extension: [
        { url: SUPPORTED_INTERACTION_URL, valueCode: 'delete' },
        { url: SUBSCRIPTION_SECRET_URL, valueString: SECRET },
      ],
    });
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await remove(patient);
    await dispatcher.idle();

    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.body.toString()).toBe('{}');
    expect(request?.headers['x-medplum-interaction']).toBe('delete');
    expect(request?.headers['x-medplum-deleted-resource']).toBe(`Patient/${patient.id}`);
    expect(request?.headers['x-signature']).toBe(hmac('{}'));
  });
});

describe('matching', () => {
  test('criteria: resource type and search parameters', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({ criteria: 'ServiceRequest?category=lab' });
    const lab = await create<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      category: [{ coding: [{ code: 'lab' }] }],
    });
    await create<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      category: [{ coding: [{ code: 'imaging' }] }],
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();

    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]?.body.toString() ?? '')).toMatchObject({ id: lab.id });
  });

  test('supported-interaction: a create-only subscription ignores update and delete', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({ extension: [{ url: SUPPORTED_INTERACTION_URL, valueCode: 'create' }] });
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    await update<Patient>({ ...patient, active: true });
    await dispatcher.idle();
    await remove(patient);
    await dispatcher.idle();
    expect(receiver.requests.map((r) => r.headers['x-medplum-interaction'])).toEqual(['create']);
  });

  test('a create or update whose resource is deleted before delivery is dropped, as in Medplum', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({ extension: [{ url: SUPPORTED_INTERACTION_URL, valueCode: 'create' }] });
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await repo.deleteResource('Patient', patient.id);
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(0);
    expect(logLines.some((l) => l.includes('resource deleted'))).toBe(true);
  });

  test('without supported-interaction every interaction is sent', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe();
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    await update<Patient>({ ...patient, active: true });
    await dispatcher.idle();
    await remove(patient);
    await dispatcher.idle();
    expect(receiver.requests.map((r) => r.headers['x-medplum-interaction'])).toEqual(['create', 'update', 'delete']);
  });

  test('FHIRPath criteria extension with %current and %previous', async () => {
    const { receiver, dispatcher } = await setup();
    await subscribe({
      extension: [{ url: FHIR_PATH_CRITERIA_URL, valueString: '%current.active = true and %previous.active != true' }],
    });
    const patient = await create<Patient>({ resourceType: 'Patient', active: false });
    await dispatcher.idle();
    const activated = await update<Patient>({ ...patient, active: true });
    await dispatcher.idle();
    await update<Patient>({ ...activated, gender: 'other' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);
    expect(JSON.parse(receiver.requests[0]?.body.toString() ?? '')).toMatchObject({ active: true });
  });

  test('ignores inactive, non-rest-hook and other-project subscriptions, and AuditEvent writes', async () => {
    const { receiver, dispatcher } = await setup();
    const control = await subscribe();
    await subscribe({ status: 'off' });
    await subscribe({ channel: { type: 'websocket' } });
    await subscribe({ meta: { project: 'another-project' } });
    await subscribe({ criteria: 'AuditEvent' });
    await create<Patient>({ resourceType: 'Patient', meta: { project: PROJECT } });
    await create<AuditEvent>({
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      recorded: new Date().toISOString(),
      agent: [{ requestor: true }],
      source: { observer: { reference: 'Device/x' } },
    });
    await dispatcher.idle();
    expect(receiver.requests.map((r) => r.headers['x-medplum-subscription'])).toEqual([control.id]);
  });
});

describe('retries and AuditEvents', () => {
  test('fails twice then 200: three attempts, three AuditEvents shaped as Medplum stores them', async () => {
    const statuses = [500, 503, 200];
    const { receiver, dispatcher } = await setup((_req, i) => statuses[i] ?? 200);
    const subscription = await subscribe();
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();

    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.body.toString()))).toEqual(new Set([stringify(patient)]));
    const events = await auditEventsFor(subscription);
    expect(events.map((e) => [e.outcome, e.outcomeDesc])).toEqual([
      ['4', 'Attempt 0 received status 500'],
      ['4', 'Attempt 1 received status 503'],
      ['0', 'Attempt 2 received status 200'],
    ]);
    const [first] = events;
    expect(first).toMatchObject({
      meta: { project: PROJECT },
      type: { code: 'transmit' },
      agent: [{ type: { text: 'Subscription' }, requestor: false }],
      source: { observer: { reference: `Subscription/${subscription.id}` } },
      entity: [
        { what: { reference: `Patient/${patient.id}` }, role: { code: '1', display: 'Patient' } },
        { what: { reference: `Subscription/${subscription.id}` }, role: { code: '9', display: 'Subscriber' } },
      ],
    });
    // every attempt's period starts at the write
    expect(new Set(events.map((e) => e.period?.start)).size).toBe(1);
    expect(events.every((e) => e.period?.end && e.recorded)).toBe(true);
  });

  test('max-attempts: Medplum retries that many times after the first attempt, then gives up', async () => {
    const { receiver, dispatcher } = await setup(() => 500);
    const subscription = await subscribe({ extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 2 }] });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(3);
    expect((await auditEventsFor(subscription)).map((e) => e.outcomeDesc)).toEqual([
      'Attempt 0 received status 500',
      'Attempt 1 received status 500',
      'Attempt 2 received status 500',
    ]);
  });

  test('default max-attempts (4): five attempts in all', async () => {
    const { receiver, dispatcher } = await setup(() => 404);
    await subscribe();
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(5);
  });

  test('an unreachable endpoint is a failed attempt with an AuditEvent, never a crash', async () => {
    const { dispatcher } = await setup();
    const port = await closedPort();
    const subscription = await subscribe({
      channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${port}/hook` },
      extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 1 }],
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    const events = await auditEventsFor(subscription);
    expect(events.map((e) => e.outcome)).toEqual(['4', '4']);
    expect(events[0]?.outcomeDesc).toBe('Attempt 0 received error TypeError: fetch failed');
  });

  test('a request that outlives the timeout is a failed attempt', async () => {
    const hold = deferred<number>();
    const { dispatcher } = await setup(() => hold.promise, { requestTimeoutMs: 20 });
    const subscription = await subscribe({ extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 0 }] });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    hold.resolve(200);
    const events = await auditEventsFor(subscription);
    expect(events.map((e) => [e.outcome, e.outcomeDesc])).toEqual([
      ['4', expect.stringMatching(/^Attempt 0 received error TimeoutError/)],
    ]);
  });

  test('a retry is dropped when the resource has a newer version', async () => {
    const { receiver, dispatcher } = await setup(async (_req, i) => {
      if (i === 0) await repo.updateResource<Patient>({ ...patient, active: true });
      return 500;
    });
    await subscribe({ extension: [{ url: SUPPORTED_INTERACTION_URL, valueCode: 'create' }] });
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);
    expect(logLines.some((l) => l.includes('newer version'))).toBe(true);
  });

  test('a retry is dropped when the subscription is no longer active, or deleted', async () => {
    const { receiver, dispatcher } = await setup(async (_req, i) => {
      if (i === 0) await repo.updateResource<Subscription>({ ...off, status: 'off' });
      if (i === 1) await repo.deleteResource('Subscription', gone.id);
      return 500;
    });
    const off = await subscribe();
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);

    const gone = await subscribe();
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(2);
  });

  test('a delete is retried even though the resource no longer exists', async () => {
    const statuses = [500, 200];
    const { receiver, dispatcher } = await setup((_req, i) => statuses[i] ?? 200);
    await subscribe({ extension: [{ url: SUPPORTED_INTERACTION_URL, valueCode: 'delete' }] });
    const patient = await create<Patient>({ resourceType: 'Patient' });
    await remove(patient);
    await dispatcher.idle();
    expect(receiver.requests.map((r) => r.body.toString())).toEqual(['{}', '{}']);
  });
});

describe('lifecycle', () => {
  test('notify returns before delivery starts; idle waits for the in-flight request', async () => {
    const hold = deferred<number>();
    const { receiver, dispatcher } = await setup(() => hold.promise);
    await subscribe();
    const patient = await repo.createResource<Patient>({ resourceType: 'Patient' });

    const event: WriteEvent = { resource: patient, interaction: 'create' };
    dispatcher.notify(event);
    expect(receiver.requests).toHaveLength(0);

    let idle = false;
    const idlePromise = dispatcher.idle().then(() => {
      idle = true;
    });
    await receiver.waitForRequests(1);
    expect(idle).toBe(false);
    hold.resolve(200);
    await idlePromise;
    expect(idle).toBe(true);
  });

  test('notify never throws, even for a resource the repository cannot search against', () => {
    const dispatcher = createSubscriptionDispatcher({
      repo: {
        searchResources: () => Promise.reject(new Error('boom')),
      } as unknown as MemoryRepository,
      log: () => {},
    });
    expect(() =>
      dispatcher.notify({ resource: { resourceType: 'Patient', id: 'x' }, interaction: 'create' })
    ).not.toThrow();
    return dispatcher.idle();
  });

  test('stop cancels pending retries', async () => {
    const { receiver, dispatcher } = await setup(() => 500, { baseRetryDelayMs: 3_600_000 });
    const subscription = await subscribe();
    await create<Patient>({ resourceType: 'Patient' });
    await receiver.waitForRequests(1);
    // wait until the first attempt is recorded, so the delivery is now sleeping before its retry
    while ((await auditEventsFor(subscription)).length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await dispatcher.stop();
    expect(receiver.requests).toHaveLength(1);
    dispatcher.notify({ resource: { resourceType: 'Patient', id: 'after-stop' }, interaction: 'create' });
    await dispatcher.idle();
    expect(receiver.requests).toHaveLength(1);
  });
});

describe('request trace', () => {
  test('a write inside requestTrace() sends x-trace-id (and traceparent) and tags the AuditEvent', async () => {
    const traceparent = '00-12345678901234567890123456789012-3456789012345678-01';
    const { receiver } = await setup();
    const subscription = await subscribe();
    const app = new Hono();
    app.use('*', requestTrace());
    app.post('/', async (c) => {
      await create<Patient>({ resourceType: 'Patient' });
      return c.json({ ok: true });
    });
    await app.request('/', { method: 'POST', headers: { traceparent } });
    await dispatcher?.idle();
    expect(receiver.requests[0]?.headers['x-trace-id']).toBe(traceparent);
    expect(receiver.requests[0]?.headers.traceparent).toBe(traceparent);
    const [event] = await auditEventsFor(subscription);
    expect(event?.extension?.[0]?.url).toBe('https://medplum.com/fhir/StructureDefinition/tracing');
    expect(event?.extension?.[0]?.extension?.[1]).toEqual({ url: 'traceId', valueId: traceparent });
  });

  test('a UUID trace id goes out as x-trace-id only; no trace, no trace headers', async () => {
    const uuid = '4b8f2d3c-9a4e-4f4b-8c1d-2e6f7a8b9c0d';
    const { receiver } = await setup();
    await subscribe();
    const app = new Hono();
    app.use('*', requestTrace());
    app.post('/', async (c) => {
      await create<Patient>({ resourceType: 'Patient' });
      return c.json({ ok: true });
    });
    await app.request('/', { method: 'POST', headers: { 'x-trace-id': uuid } });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher?.idle();
    expect(receiver.requests).toHaveLength(2);
    const traced = receiver.requests.find((r) => r.headers['x-trace-id'] !== undefined);
    expect(traced?.headers['x-trace-id']).toBe(uuid);
    expect(traced?.headers.traceparent).toBeUndefined();
    expect(receiver.requests.filter((r) => r.headers['x-trace-id'] === undefined)).toHaveLength(1);
  });
});

describe('auto-disable', () => {
  test('the server triggers disable a Subscription after that many failed events, with a SeriousFailure AuditEvent', async () => {
    const port = await closedPort();
    await setup(undefined, { autoDisable: [{ maxConsecutiveFailures: 2, timeWindowSeconds: 60 }] });
    const subscription = await subscribe({
      channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${port}/hook` },
      extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 0 }],
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher?.idle();
    expect((await repo.readResource<Subscription>('Subscription', subscription.id)).status).toBe('active');
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher?.idle();
    const disabled = await repo.readResource<Subscription>('Subscription', subscription.id);
    expect(disabled.status).toBe('off');
    expect(disabled.error).toBe('Automatically disabled after 2 consecutive failed events in the last 60 seconds');
    const serious = (await auditEventsFor(subscription)).filter((e) => e.outcome === '8');
    expect(serious.map((e) => e.outcomeDesc)).toEqual([disabled.error]);
  });

  test("a Project's subscriptionAutoDisable setting overrides the server triggers; [] turns them off", async () => {
    const port = await closedPort();
    await setup(undefined, { autoDisable: [{ maxConsecutiveFailures: 1, timeWindowSeconds: 60 }] });
    await repo.createResource({
      resourceType: 'Project',
      id: PROJECT,
      name: 'p',
      systemSetting: [{ name: 'subscriptionAutoDisable', valueString: '[]' }],
    });
    const subscription = await subscribe({
      channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${port}/hook` },
      extension: [{ url: MAX_ATTEMPTS_URL, valueInteger: 0 }],
    });
    await create<Patient>({ resourceType: 'Patient' });
    await dispatcher?.idle();
    expect((await repo.readResource<Subscription>('Subscription', subscription.id)).status).toBe('active');
  });
});
