import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { alice } from '../fixtures/seed.ts';
import { mirrorOf } from './mirror.ts';

/*
 * Medplum's request rate limiter (packages/server/src/ratelimit.ts), as its app tests observe it. Both cases need an
 * emulator started with a tiny limit.
 */

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ authRateLimit: 1 });
});
afterAll(() => target.stop());

function authMethod(forwardedFor?: string): Promise<Response> {
  return fetch(`${target.baseUrl}auth/method`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}),
    },
    body: JSON.stringify({ email: alice.email }),
  });
}

const app = mirrorOf('packages/server/src/app.int.test.ts', '0539b9266e1e26ec18d5dbe6b15deffbf4746cf1');
app.describe(() => {
  // Medplum's test reads the address from its request log; here it is observed through the rate limiter, which keys
  // its windows on the same `req.ip` (trust proxy 1: the last X-Forwarded-For entry).
  app.it('X-Forwarded-For spoofing', { seedBound: SEED_BOUND.emulatorOption }, async () => {
    expect((await authMethod('1.1.1.1, 2.2.2.2')).status).toBe(200);
    // Same last hop, another first one: the same client, whose one request a minute is used up.
    expect((await authMethod('9.9.9.9, 2.2.2.2')).status).toBe(429);
    // 2.2.2.2 spoofed as the first hop does not make the client 2.2.2.2.
    expect((await authMethod('2.2.2.2, 3.3.3.3')).status).toBe(200);
  });

  // Medplum's test sets `defaultRateLimit = 1` and calls `GET /api/` twice.
  app.it('Server rate limit', { seedBound: SEED_BOUND.emulatorOption }, async () => {
    // `rateLimit` (general requests per minute) is the option the fix adds; unknown to startEmulator until then.
    const limited = await startTarget({ authRateLimit: 1, rateLimit: 1 });
    try {
      expect((await fetch(`${limited.baseUrl}api/`)).status).toBe(200);
      expect((await fetch(`${limited.baseUrl}api/`)).status).toBe(429);
    } finally {
      await limited.stop();
    }
  });
});
