import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/newuser, as packages/server/src/auth/newuser.test.ts has it, for what the emulator models: it registers no
 * users, so it answers like a Medplum server with `registerEnabled: false` — the request validators first, then
 * "Registration is disabled". The cases that need registration (success, reCAPTCHA, breached passwords, duplicate
 * emails, project isolation) are not ported.
 */
let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

async function newUser(body: Record<string, unknown>) {
  const response = await fetch(`${target.baseUrl}auth/newuser`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { issue?: { details?: { text?: string } }[] },
  };
}

const medplum = mirrorOf('packages/server/src/auth/newuser.test.ts', '05b1fcb4a1713eb0168f0d570d1d4cf86f63dffd');

medplum.describe(() => {
  medplum.it('Register disabled', async () => {
    const res = await newUser({
      firstName: 'Alexander',
      lastName: 'Hamilton',
      email: `alex${randomUUID()}@example.com`,
      password: 'password!@#',
      recaptchaToken: 'xyz',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Registration is disabled');
  });

  medplum.it('Password too short', async () => {
    const res = await newUser({
      firstName: 'George',
      lastName: 'Washington',
      email: `george${randomUUID()}@example.com`,
      password: 'xyz',
      recaptchaToken: 'xyz',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Password must be between 8 and 72 characters');
  });

  medplum.it('Password too long', async () => {
    const res = await newUser({
      firstName: 'George',
      lastName: 'Washington',
      email: `george${randomUUID()}@example.com`,
      password: 'xyz'.repeat(100),
      recaptchaToken: 'xyz',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Password must be between 8 and 72 characters');
  });

  medplum.it('Multibyte password too long', async () => {
    const res = await newUser({
      firstName: 'George',
      lastName: 'Washington',
      email: `george${randomUUID()}@example.com`,
      password: '☺️'.repeat(40),
      recaptchaToken: 'xyz',
    });
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.details?.text).toBe('Password must be between 8 and 72 characters');
  });
});
