import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/index.ts';
import { alice, buildSeed } from '../fixtures/seed.ts';
import { againstRealMedplum, EMULATOR_ONLY } from './target.ts';

const ALLOWED = 'http://localhost:3000';
let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    seed: buildSeed(),
    allowedOrigins: [ALLOWED],
    authRateLimit: 3,
    log: () => {},
  });
});
afterAll(() => emulator.stop());

describe.skipIf(againstRealMedplum)(`CORS (skipped against a real Medplum: ${EMULATOR_ONLY})`, () => {
  it('echoes an allowed origin with credentials and the exposed headers', async () => {
    const response = await fetch(`${emulator.url}.well-known/openid-configuration`, { headers: { Origin: ALLOWED } });
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')).toContain('Location');
    expect(response.headers.get('access-control-expose-headers')).toContain('RateLimit');
  });

  it('answers a preflight for an allowed origin', async () => {
    const response = await fetch(`${emulator.url}fhir/R4/Patient`, {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,x-medplum',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
  });

  it('gives another origin no CORS headers', async () => {
    const response = await fetch(`${emulator.url}.well-known/openid-configuration`, {
      headers: { Origin: 'http://evil.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.skipIf(againstRealMedplum)(`auth rate limit (skipped against a real Medplum: ${EMULATOR_ONLY})`, () => {
  it('answers 429 with an OperationOutcome once the per-minute limit is used up, and leaves FHIR alone', async () => {
    const attempt = () =>
      fetch(`${emulator.url}auth/method`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: JSON.stringify({ email: alice.email }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit')).toContain('remaining=0');
    expect(await limited.json()).toMatchObject({ resourceType: 'OperationOutcome', id: 'too-many-requests' });
    expect((await fetch(`${emulator.url}fhir/R4/Patient`)).status).toBe(401);
  });
});
