import { MedplumClient, OperationOutcomeError } from '@medplum/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/index.ts';
import { adminClient, alice, buildSeed } from '../fixtures/seed.ts';
import { describeSeedBound, SEED_BOUND } from './seed-bound.ts';
import { form } from './target.ts';

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

/** `"requests";r=<remaining>;t=<seconds>`, as packages/server/src/ratelimit.ts writes it. */
const RATE_LIMIT_HEADER = /^"requests";r=(\d+);t=(\d+)$/;

function parseRateLimit(response: Response): { remaining: number; seconds: number } {
  const match = RATE_LIMIT_HEADER.exec(response.headers.get('ratelimit') ?? '');
  if (!match) throw new Error(`unexpected RateLimit header: ${response.headers.get('ratelimit')}`);
  return { remaining: Number(match[1]), seconds: Number(match[2]) };
}

describeSeedBound(SEED_BOUND.emulatorOption, 'CORS', () => {
  it('echoes an allowed origin with credentials and the exposed headers', async () => {
    const response = await fetch(`${emulator.url}.well-known/openid-configuration`, { headers: { Origin: ALLOWED } });
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-expose-headers')).toBe(
      'Content-Location,ETag,Last-Modified,Location,RateLimit'
    );
  });

  it("answers a preflight for an allowed origin as the cors package does with Medplum's options", async () => {
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
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,HEAD,PUT,PATCH,POST,DELETE');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type,x-medplum');
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('gives another origin no CORS headers', async () => {
    const response = await fetch(`${emulator.url}.well-known/openid-configuration`, {
      headers: { Origin: 'http://evil.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('gives /api/ paths no CORS headers (Medplum matches the prefixes against the full path)', async () => {
    const response = await fetch(`${emulator.url}api/.well-known/openid-configuration`, {
      headers: { Origin: ALLOWED },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describeSeedBound(SEED_BOUND.emulatorOption, 'rate limit', () => {
  const attempt = (path = 'auth/method', forwardedFor = '10.0.0.1') =>
    fetch(`${emulator.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json', 'X-Forwarded-For': forwardedFor },
      body: JSON.stringify({ email: alice.email }),
    });

  it('answers 429 with the too-many-requests OperationOutcome once the per-minute auth limit is used up', async () => {
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await attempt());
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(responses.map((r) => parseRateLimit(r).remaining)).toEqual([2, 1, 0, 0]);
    expect(parseRateLimit(responses[0] as Response).seconds).toBe(60);

    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { remaining, seconds } = parseRateLimit(limited);
    expect(remaining).toBe(0);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    const outcome = (await limited.json()) as { issue: { diagnostics: string }[] };
    const diagnostics = JSON.parse(outcome.issue[0]?.diagnostics ?? '');
    expect(outcome).toEqual({
      resourceType: 'OperationOutcome',
      id: 'too-many-requests',
      issue: [
        {
          severity: 'error',
          code: 'throttled',
          details: { text: 'Too Many Requests' },
          diagnostics: expect.any(String),
        },
      ],
    });
    expect(Object.keys(diagnostics)).toEqual([
      '_remainingPoints',
      '_msBeforeNext',
      '_consumedPoints',
      '_isFirstInDuration',
      'limit',
    ]);
    expect(diagnostics).toMatchObject({ _remainingPoints: 0, _consumedPoints: 5, _isFirstInDuration: false, limit: 3 });
  });

  it('counts FHIR, /auth/me and /api/auth/… requests against the general limit, not the auth one', async () => {
    const client = '10.0.0.2';
    for (let i = 0; i < 3; i++) await attempt('auth/method', client);
    expect((await attempt('auth/method', client)).status).toBe(429);

    const me = await fetch(`${emulator.url}auth/me`, { headers: { 'X-Forwarded-For': client } });
    expect(me.status).toBe(401);
    expect(parseRateLimit(me).remaining).toBe(59_999);
    const api = await attempt('api/auth/method', client);
    expect(api.status).toBe(200);
    expect(parseRateLimit(api).remaining).toBe(59_998);
  });

  it('lets an unmodified MedplumClient read the header: a 429 reaches the caller as Too Many Requests', async () => {
    const client = '10.0.0.3';
    const medplum = new MedplumClient({
      baseUrl: emulator.url,
      fetch: (url: string | URL | Request, init?: RequestInit) =>
        fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), 'X-Forwarded-For': client } }),
    });
    for (let i = 0; i < 3; i++) await attempt('oauth2/token', client);
    const error = await medplum.startClientLogin(adminClient.id, adminClient.secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationOutcomeError);
    // The SDK appends the outcome's diagnostics (the limiter's result) to the details text.
    expect((error as Error).message).toMatch(/^Failed to fetch tokens: Too Many Requests \(\{"_remainingPoints":0,/);
    const [status] = medplum.rateLimitStatus();
    expect(status).toMatchObject({ name: 'requests', remainingUnits: 0 });
    expect(status?.secondsUntilReset).toBeGreaterThan(2);
  });

  it('lets an unmodified MedplumClient retry a 429 once the window resets within its retry time', {
    timeout: 120_000,
  }, async () => {
    const client = '10.0.0.4';
    const opened = Date.now();
    const first = await fetch(`${emulator.url}oauth2/token`, {
      ...form({ grant_type: 'client_credentials', client_id: adminClient.id, client_secret: adminClient.secret }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': client },
    });
    expect(first.status).toBe(200);
    // Wait until about 1.5 s of the one-minute window are left, so the 429 says t=2 (within the SDK's 2 s retry time).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, opened + 58_500 - Date.now())));
    for (let i = 0; i < 2; i++) await attempt('oauth2/token', client);

    const attempts: number[] = [];
    const medplum = new MedplumClient({
      baseUrl: emulator.url,
      fetch: async (url: string | URL | Request, init?: RequestInit) => {
        const response = await fetch(url, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), 'X-Forwarded-For': client },
        });
        attempts.push(response.status);
        return response;
      },
    });
    await medplum.startClientLogin(adminClient.id, adminClient.secret);
    expect(attempts[0]).toBe(429);
    expect(attempts.at(-1)).toBe(200);
    expect(medplum.getAccessToken()).toBeDefined();
  });
});
