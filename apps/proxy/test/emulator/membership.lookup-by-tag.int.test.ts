/**
 * On a real Medplum, `pnpm medplum:provision` creates the practitioner's membership through an invite, under an id the
 * server picks. The proxy finds it by the provisioning tag at sign-in instead of trusting the seed's fixed id: here the
 * seeded membership gets a different id, and on-behalf-of still works.
 */
import type { Communication, ProjectMembership } from '@medplum/fhirtypes';
import { SEED_IDS } from '@org/auth/provisioning';
import { refusalOf } from '@org/auth/server';
import { onBehalfOfRefused, outcomeOf } from '@org/auth/testing';
import type { RunningEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, signIn } from '../helpers.ts';
import { MARIA, proxyAgainst, proxyIdentity, startEmulatorWithLabResults } from './harness.ts';

const MOVED_ID = '0f0e0d0c-0b0a-4909-8807-060504030201';
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulatorWithLabResults((seed) => ({
    ...seed,
    entry: seed.entry?.map((entry) =>
      entry.resource?.resourceType === 'ProjectMembership' && entry.resource.id === SEED_IDS.practitionerMembership
        ? {
            ...entry,
            fullUrl: `urn:uuid:${MOVED_ID}`,
            resource: { ...(entry.resource as ProjectMembership), id: MOVED_ID },
          }
        : entry
    ),
  }));
});
afterAll(async () => {
  await emulator?.stop();
});

describe('membership lookup by provisioning tag', () => {
  it('signs the dev clinician in with the membership Medplum actually has', async () => {
    const { app, config } = proxyAgainst(emulator);
    const cookie = await signIn(app, config.LEGACY_DEV_USERNAME);
    const created = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody(MARIA, 'written after the membership moved'),
    });
    expect(created.status).toBe(201);
    const note = (await created.json()) as Communication;
    expect(note.meta?.onBehalfOf?.reference).toBe(`Practitioner/${SEED_IDS.practitioner}`);
  });

  it('trusting the seed id instead would fail: Medplum refuses to act as a membership that is not there', async () => {
    const service = proxyIdentity(emulator);
    const error = await service
      .onBehalfOf(`ProjectMembership/${SEED_IDS.practitionerMembership}`)
      .searchResources('Patient')
      .catch((e: unknown) => e);
    expect(outcomeOf(error)).toEqual(onBehalfOfRefused);
    expect(refusalOf(error)).toBe('on-behalf-of');
  });
});
