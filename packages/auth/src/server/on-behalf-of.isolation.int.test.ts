import { isDeepStrictEqual } from 'node:util';
import { forbidden } from '@medplum/core';
import type { Communication } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../ids.ts';
import { startSeededEmulator } from '../testing/emulator.ts';
import { onBehalfOfRefused, outcomeOf } from '../testing/outcomes.ts';
import { basicAuth, clientCredentials } from './credentials.ts';
import { refusalOf } from './refusal.ts';
import { createServiceClient } from './service-client.ts';

let env: Awaited<ReturnType<typeof startSeededEmulator>>;
beforeAll(async () => {
  env = await startSeededEmulator();
});
afterAll(async () => {
  await env?.emulator.stop();
});

/** Refused by the access policy, exactly as Medplum answers it (403 `forbidden`, "Forbidden"). */
const isForbidden = (error: unknown) => isDeepStrictEqual(outcomeOf(error), forbidden);

function proxy(mode: 'token' | 'basic' = 'token') {
  const credentials = {
    clientId: env.clients.proxy.clientId,
    clientSecret: env.clients.proxy.clientSecret,
  };
  return createServiceClient({
    baseUrl: env.emulator.url,
    credentials: mode === 'token' ? clientCredentials(credentials) : basicAuth(credentials),
  });
}

const practitioner = `Practitioner/${SEED_IDS.practitioner}`;
const practitionerMembership = `ProjectMembership/${SEED_IDS.practitionerMembership}`;
const receptionist = `ProjectMembership/${SEED_IDS.receptionistMembership}`;

describe.each(['token', 'basic'] as const)('on-behalf-of against the emulator (%s)', (mode) => {
  it('a write made for a user carries meta.author = the ClientApplication and meta.onBehalfOf = the user', async () => {
    const client = proxy(mode);
    const note = await client.onBehalfOf(practitionerMembership).createResource<Communication>({
      resourceType: 'Communication',
      status: 'completed',
      payload: [{ contentString: 'written for the practitioner' }],
    });
    expect(note.meta?.author?.reference).toBe(`ClientApplication/${env.clients.proxy.clientId}`);
    expect(note.meta?.onBehalfOf?.reference).toBe(practitioner);
  });

  it('a user whose policy forbids a type is refused although the service identity is admin', async () => {
    const client = proxy(mode);
    // The seed has no Observation: the admin's search answers an empty list, the receptionist's is refused.
    await expect(client.searchResources('Observation')).resolves.toHaveLength(0);
    const error = await client
      .onBehalfOf(receptionist)
      .searchResources('Observation')
      .catch((e) => e);
    expect(outcomeOf(error)).toEqual(forbidden);
  });

  it('never bleeds between concurrent requests for different users', async () => {
    const client = proxy(mode);
    const calls = Array.from({ length: 120 }, async (_, i) => {
      switch (i % 3) {
        case 0: {
          // Practitioner: may write notes; the note records them.
          const note = await client
            .onBehalfOf(i % 2 ? practitioner : practitionerMembership)
            .createResource<Communication>({
              resourceType: 'Communication',
              status: 'completed',
              payload: [{ contentString: `note ${i}` }],
            });
          return note.meta?.onBehalfOf?.reference === practitioner
            ? 'ok'
            : `wrong onBehalfOf ${note.meta?.onBehalfOf?.reference}`;
        }
        case 1: {
          // Receptionist: may not read Observations; if the practitioner's (or the admin's) rights bled in, this passes.
          const error = await client
            .onBehalfOf(receptionist)
            .searchResources('Observation')
            .catch((e) => e);
          return isForbidden(error) ? 'ok' : 'receptionist was not refused';
        }
        default: {
          // Receptionist's writes: refused too.
          const error = await client
            .onBehalfOf(receptionist)
            .createResource<Communication>({ resourceType: 'Communication', status: 'completed' })
            .catch((e) => e);
          return isForbidden(error) ? 'ok' : 'receptionist write was not refused';
        }
      }
    });
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
  });
});

describe('on-behalf-of needs an admin membership', () => {
  it('the device identity (not admin) is refused: 400 "Authentication error", read as an on-behalf-of refusal', async () => {
    const device = createServiceClient({
      baseUrl: env.emulator.url,
      credentials: clientCredentials({
        clientId: env.clients.device.clientId,
        clientSecret: env.clients.device.clientSecret,
      }),
    });
    const error = await device
      .onBehalfOf(practitionerMembership)
      .searchResources('ServiceRequest')
      .catch((e) => e);
    expect(outcomeOf(error)).toEqual(onBehalfOfRefused);
    expect(refusalOf(error)).toBe('on-behalf-of');
  });
});
