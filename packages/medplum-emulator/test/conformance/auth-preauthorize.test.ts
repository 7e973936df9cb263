import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ContractTarget } from '../contract/target.ts';
import { clientCredentialsToken, startTarget } from '../contract/target.ts';
import { adminClient, alice } from '../fixtures/seed.ts';
import { passwordTokens } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * POST /auth/preauthorize, as packages/server/src/auth/preauthorize.int.test.ts has it: the fixture's admin client is
 * the test project's admin (with its client), Alice the added test user. The code it returns is redeemed by the
 * pre-authorized code grant (token.test.ts "Pre-authorized code success").
 */
let target: ContractTarget;
let adminToken: string;
let userToken: string;
beforeAll(async () => {
  target = await startTarget();
  adminToken = (await clientCredentialsToken(target)).access_token as string;
  userToken = (await passwordTokens(target, { email: alice.email, password: alice.password })).access_token;
});
afterAll(() => target.stop());

async function preauthorize(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${target.baseUrl}auth/preauthorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function issueText(body: Record<string, unknown>): string | undefined {
  return (body.issue as { details?: { text?: string } }[] | undefined)?.[0]?.details?.text;
}

const asAdmin = () => ({ Authorization: `Bearer ${adminToken}` });
const onBehalfOfAlice = () => ({ ...asAdmin(), 'X-Medplum-On-Behalf-Of': `Practitioner/${alice.practitionerId}` });

const medplum = mirrorOf(
  'packages/server/src/auth/preauthorize.int.test.ts',
  '92f124a68613c287a4afb4bb5c58183c1a21fe60'
);

medplum.describe(() => {
  medplum.it('Requires auth', async () => {
    expect((await preauthorize({ clientId: adminClient.id })).status).toBe(401);
  });

  medplum.it('Requires project admin', async () => {
    const answer = await preauthorize({ clientId: adminClient.id }, { Authorization: `Bearer ${userToken}` });
    expect(answer.status).toBe(403);
  });

  medplum.it('Requires clientId', async () => {
    const answer = await preauthorize({}, asAdmin());
    expect(answer.status).toBe(400);
    expect(issueText(answer.body)).toBe('Client ID is required');
  });

  medplum.it('Requires onBehalfOfMembership', async () => {
    const answer = await preauthorize({ clientId: adminClient.id }, asAdmin());
    expect(answer.status).toBe(400);
    expect(issueText(answer.body)).toBe('Pre-authorization requires onBehalfOfMembership');
  });

  medplum.it('Client not found', async () => {
    const answer = await preauthorize({ clientId: randomUUID() }, onBehalfOfAlice());
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ resourceType: 'OperationOutcome', id: 'not-found' });
  });

  for (const [name, expiresIn] of [
    ['Expire time too short', 0],
    ['Expire time too long', 24 * 60 * 60 + 1],
  ] as const) {
    medplum.it(name, async () => {
      const answer = await preauthorize({ clientId: adminClient.id, expiresIn }, asAdmin());
      expect(answer.status).toBe(400);
      expect(issueText(answer.body)).toBe('expiresIn must be a positive integer not exceeding 86400 seconds');
    });
  }

  medplum.it('Success', async () => {
    const answer = await preauthorize({ clientId: adminClient.id }, onBehalfOfAlice());
    expect(answer.status).toBe(200);
    expect(typeof answer.body.preAuthorizedCode).toBe('string');
    expect(Date.parse(answer.body.expiresAt as string)).toBeGreaterThan(Date.now());
    expect(answer.body.code).toBeUndefined();
  });
});
