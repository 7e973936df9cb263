import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Patient, Subscription } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminClient } from '../fixtures/seed.ts';
import { describeSeedBound, SEED_BOUND } from './seed-bound.ts';
import type { ContractTarget } from './target.ts';
import { basic, startTarget } from './target.ts';

const SECRET = 'wiring-test-secret';
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let receiver: Server;
let endpoint: string;
let target: ContractTarget;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  target = await startTarget({ subscriptionRetryDelayMs: 5 });
});
afterAll(async () => {
  await target.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function write(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${target.baseUrl}fhir/R4/${path}`, {
    method,
    headers: { Authorization: basic(adminClient.id, adminClient.secret), 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Only the wiring between the FHIR layer and the subscription dispatcher (src/subscriptions has its own tests for
 * matching, retries and AuditEvents): every successful write through the API, batch entries included, reaches it.
 */
describeSeedBound(SEED_BOUND.emulatorOption, 'writes reach the subscription dispatcher', () => {
  it('delivers a signed rest-hook for a create, an update and a batch entry', async () => {
    const subscription: Subscription = {
      resourceType: 'Subscription',
      status: 'active',
      reason: 'wiring test',
      criteria: 'Patient?family=Wired',
      channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
      extension: [{ url: 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret', valueString: SECRET }],
    };
    await write('POST', 'Subscription', subscription);
    const patient = (await write('POST', 'Patient', {
      resourceType: 'Patient',
      name: [{ family: 'Wired' }],
    })) as unknown as Patient;
    await write('PUT', `Patient/${patient.id}`, { ...patient, gender: 'other' });
    const batch: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        {
          request: { method: 'POST', url: 'Patient' },
          resource: { resourceType: 'Patient', name: [{ family: 'Wired' }] },
        },
      ],
    };
    await write('POST', '', batch);
    await write('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'Unrelated' }] });
    await target.emulator?.idle();

    expect(received.map((r) => r.headers['x-medplum-interaction'])).toEqual(['create', 'update', 'create']);
    for (const delivery of received) {
      const expected = createHmac('sha256', SECRET).update(delivery.body).digest('hex');
      expect(delivery.headers['x-signature']).toBe(expected);
      expect(delivery.headers['content-type']).toContain('application/fhir+json');
    }
  });
});
