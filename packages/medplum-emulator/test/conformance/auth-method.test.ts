import { randomUUID } from 'node:crypto';
import type { Bundle, DomainConfiguration } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { startTarget } from '../contract/target.ts';
import { buildSeed } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/** /auth/method, as packages/server/src/auth/method.int.test.ts (the newest twin of method.test.ts) has it. */
const identityProvider = {
  authorizeUrl: 'https://example.com/oauth2/authorize',
  tokenUrl: 'https://example.com/oauth2/token',
  userInfoUrl: 'https://example.com/oauth2/userinfo',
  clientId: '123',
  clientSecret: '456',
};
const domain = `${randomUUID()}.example.com`;
const caseDomain = `${randomUUID()}.example.com`;
const noProtocolDomain = `${randomUUID()}.example.com`;

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const configs: DomainConfiguration[] = [
    { resourceType: 'DomainConfiguration', id: randomUUID(), domain, identityProvider },
    { resourceType: 'DomainConfiguration', id: randomUUID(), domain: caseDomain, identityProvider },
    {
      resourceType: 'DomainConfiguration',
      id: randomUUID(),
      domain: noProtocolDomain,
      identityProvider: { ...identityProvider, authorizeUrl: 'example.com/oauth2/authorize' },
    },
  ];
  return seedWith(configs, seed);
}

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: extendedSeed() });
});
afterAll(() => target.stop());

async function method(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${target.baseUrl}auth/method`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const medplum = mirrorOf('packages/server/src/auth/method.int.test.ts', '5213bdb5419cccbf9c0e94dec5bd18cde7d71ce3');

medplum.describe(() => {
  medplum.it('Missing email parameter', async () => {
    expect((await method({})).status).toBe(400);
  });

  medplum.it('Empty email parameter', async () => {
    expect((await method({ email: '' })).status).toBe(400);
  });

  medplum.it('Invalid email parameter', async () => {
    expect((await method({ email: 'xyz' })).status).toBe(400);
  });

  medplum.it('Domain config', { seedBound: SEED_BOUND.superAdmin }, async () => {
    const res1 = await method({ email: `alice@${domain}` });
    expect(res1.status).toBe(200);
    expect(res1.body).toEqual({
      domain,
      authorizeUrl: `https://example.com/oauth2/authorize?client_id=123&redirect_uri=${encodeURIComponent(
        `${target.baseUrl}auth/external`
      )}&response_type=code&scope=openid+profile+email`,
    });

    const res2 = await method({ email: `alice@${randomUUID()}.com` });
    expect(res2.status).toBe(200);
    expect(res2.body).toEqual({});
  });

  medplum.it('Domain config case sensitivity', { seedBound: SEED_BOUND.superAdmin }, async () => {
    const res1 = await method({ email: `alice@${caseDomain.toUpperCase()}` });
    expect(res1.status).toBe(200);
    expect(res1.body.authorizeUrl).toBeDefined();
  });

  medplum.it('Domain config authorize url without protocol', { seedBound: SEED_BOUND.superAdmin }, async () => {
    const res1 = await method({ email: `alice@${noProtocolDomain}` });
    expect(res1.status).toBe(400);

    const res2 = await method({ email: `alice@${randomUUID()}.com` });
    expect(res2.status).toBe(200);
  });
});
