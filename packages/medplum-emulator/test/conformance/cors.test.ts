import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { mirrorOf } from './mirror.ts';

/*
 * Medplum's CORS (packages/server/src/cors.ts): Medplum's unit tests call `corsOptions` directly; here the same
 * decisions are observed over HTTP, on the headers the `cors` package writes from them. Medplum reads the allowed
 * origins from its config (`appBaseUrl`, `allowedOrigins`); the emulator from its `allowedOrigins` option, so the cases
 * that set them run against emulators started for them.
 */

const APP_ORIGIN = 'http://localhost:3000';

const targets = new Map<string, ContractTarget>();
async function targetAllowing(origins: string[]): Promise<ContractTarget> {
  const key = origins.join(',');
  let target = targets.get(key);
  if (!target) {
    target = await startTarget({ allowedOrigins: origins });
    targets.set(key, target);
  }
  return target;
}

let target: ContractTarget;
beforeAll(async () => {
  target = await targetAllowing([APP_ORIGIN]);
});
afterAll(async () => {
  for (const t of targets.values()) await t.stop();
});

function get(base: ContractTarget, path: string, origin?: string): Promise<Response> {
  return fetch(`${base.baseUrl}${path}`, { headers: origin ? { Origin: origin } : {} });
}

function exposedHeaders(response: Response): string[] {
  return (response.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim());
}

function expectAllowed(response: Response, origin: string): void {
  expect(response.headers.get('access-control-allow-origin')).toBe(origin);
  expect(response.headers.get('access-control-allow-credentials')).toBe('true');
}

function expectNoCors(response: Response): void {
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
  expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  expect(response.headers.get('access-control-expose-headers')).toBeNull();
}

const cors = mirrorOf('packages/server/src/cors.int.test.ts', '92f124a68613c287a4afb4bb5c58183c1a21fe60');
cors.describe(() => {
  cors.it('Root', async () => {
    expectNoCors(await get(target, ''));
  });

  cors.it('No Origin', async () => {
    expectNoCors(await get(target, 'fhir/R4/Patient'));
  });

  // Medplum allows its own app (`appBaseUrl`); the emulator has no app URL, only `allowedOrigins`.
  cors.it('Allow appBaseUrl', async () => {
    expectAllowed(await get(target, 'fhir/R4/Patient', APP_ORIGIN), APP_ORIGIN);
  });

  cors.it('Exposes RateLimit header on FHIR requests', async () => {
    expect(exposedHeaders(await get(target, 'fhir/R4/Patient', APP_ORIGIN))).toContain('RateLimit');
  });

  cors.it('Open', { seedBound: SEED_BOUND.emulatorOption }, async () => {
    const open = await targetAllowing(['*']);
    expectAllowed(await get(open, 'fhir/R4/Patient', 'https://example.com'), 'https://example.com');
  });

  cors.it('Closed', async () => {
    const closed = await targetAllowing([]);
    expectNoCors(await get(closed, 'fhir/R4/Patient', 'https://example.com'));
  });

  cors.it('Allowed origins ', { seedBound: SEED_BOUND.emulatorOption }, async () => {
    const list = await targetAllowing(['https://abc.com', 'https://example.com']);
    expectAllowed(await get(list, 'fhir/R4/Patient', 'https://example.com'), 'https://example.com');
  });

  cors.it('Disallowed origins ', async () => {
    const list = await targetAllowing(['https://abc.com', 'https://def.com']);
    expectNoCors(await get(list, 'fhir/R4/Patient', 'https://example.com'));
  });

  cors.it('FHIR response includes RateLimit in Access-Control-Expose-Headers', async () => {
    const response = await get(target, 'fhir/R4/Patient', APP_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).not.toBeNull();
    expect(exposedHeaders(response)).toContain('RateLimit');
  });
});

const app = mirrorOf('packages/server/src/app.int.test.ts', '0539b9266e1e26ec18d5dbe6b15deffbf4746cf1');
app.describe(() => {
  app.it('No CORS', async () => {
    // `/` is not a CORS path: whatever the origin, no CORS headers.
    expectNoCors(await get(target, '', 'https://blackhat.xyz'));
  });

  app.it('Preflight max age', async () => {
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate');
  });
});
