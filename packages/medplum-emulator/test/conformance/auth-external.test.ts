import { randomUUID } from 'node:crypto';
import type { Bundle, ClientApplication, IdentityProvider, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, expect } from 'vitest';
import { SEED_BOUND } from '../contract/seed-bound.ts';
import type { ContractTarget } from '../contract/target.ts';
import { form, startTarget } from '../contract/target.ts';
import { buildSeed, PROJECT_ID, SECOND_PROJECT_ID } from '../fixtures/seed.ts';
import { seedWith } from './harness.ts';
import { mirrorOf } from './mirror.ts';

/**
 * /auth/external, as packages/server/src/auth/external.test.ts has it. Like Medplum's test, the identity provider is a
 * stand-in for outgoing HTTP (the emulator's `fetch` option): each case sets what its token endpoint answers, and the
 * requests the emulator makes are recorded.
 */
const domain = `${randomUUID()}.example.com`;
const email = `text@${domain}`;
const domain2 = `${randomUUID()}.example.com`;
const returnToDomain = `${randomUUID()}.example.com`;
const returnToEmail = `text@${returnToDomain}`;
const allowedReturnTo = 'https://myapp.example.com';
const otherEmail = `other-${randomUUID()}@example.com`;
const redirectUri = `https://${domain}/auth/callback`;
const externalId = `google-oauth2|${randomUUID()}`;
const legacyExternalId = randomUUID();
const legacyDomain = `${randomUUID()}.example.com`;
const legacyRedirectUri = `https://${legacyDomain}/auth/callback`;
const identityProvider: IdentityProvider = {
  authorizeUrl: 'https://example.com/oauth2/authorize',
  tokenUrl: 'https://example.com/oauth2/token',
  userInfoUrl: 'https://example.com/oauth2/userinfo',
  clientId: '123',
  clientSecret: '456',
};

const clients = {
  externalAuth: randomUUID(),
  default: randomUUID(),
  jwks: randomUUID(),
  missingTokenUrl: randomUUID(),
  missingCredentials: randomUUID(),
  insecure: randomUUID(),
  subject: randomUUID(),
  useSubject: randomUUID(),
  secretPost: randomUUID(),
  legacy: randomUUID(),
};

function client(id: string, idp: IdentityProvider | undefined, projectId = PROJECT_ID, uri = redirectUri) {
  return {
    resourceType: 'ClientApplication',
    id,
    meta: { project: projectId },
    name: id,
    secret: randomUUID(),
    redirectUris: [uri],
    ...(idp ? { identityProvider: idp } : {}),
  } satisfies ClientApplication;
}

/** A User with a profile and one membership; `user` and `membership` fields are merged in. */
function member(
  projectId: string,
  profileType: 'Practitioner' | 'Patient',
  given: string,
  family: string,
  user: Record<string, unknown>,
  membership: Record<string, unknown> = {}
): Resource[] {
  const userId = randomUUID();
  const profileId = randomUUID();
  const meta = { project: projectId };
  return [
    { resourceType: 'User', id: userId, firstName: given, lastName: family, ...user } as Resource,
    { resourceType: profileType, id: profileId, meta, name: [{ given: [given], family }] } as Resource,
    {
      resourceType: 'ProjectMembership',
      id: randomUUID(),
      meta,
      project: { reference: `Project/${projectId}` },
      user: { reference: `User/${userId}` },
      profile: { reference: `${profileType}/${profileId}` },
      ...membership,
    } as Resource,
  ];
}

function extendedSeed(): Bundle {
  const seed = buildSeed();
  const projectUser = (projectId: string) => ({
    meta: { project: projectId },
    project: { reference: `Project/${projectId}` },
  });
  const extra: Resource[] = [
    ...member(PROJECT_ID, 'Practitioner', 'External', 'Text', { email }),
    ...member(PROJECT_ID, 'Patient', 'External', 'User', projectUser(PROJECT_ID), { externalId }),
    ...member(PROJECT_ID, 'Practitioner', 'External', 'Text', { email: returnToEmail }),
    ...member(SECOND_PROJECT_ID, 'Practitioner', 'Other', 'User', { email: otherEmail }),
    ...member(SECOND_PROJECT_ID, 'Patient', 'External', 'User', {
      ...projectUser(SECOND_PROJECT_ID),
      externalId: legacyExternalId,
    }),
    { resourceType: 'DomainConfiguration', id: randomUUID(), domain, identityProvider },
    { resourceType: 'DomainConfiguration', id: randomUUID(), domain: domain2 },
    {
      resourceType: 'DomainConfiguration',
      id: randomUUID(),
      domain: returnToDomain,
      identityProvider,
      allowedPostLoginRedirectUrls: [allowedReturnTo],
    },
    client(clients.externalAuth, { ...identityProvider, identitySource: 'email', identityMappingMode: 'user-email' }),
    client(clients.default, undefined),
    client(clients.jwks, {
      ...identityProvider,
      issuer: 'https://issuer.example.com',
      jwksUrl: 'https://issuer.example.com/.well-known/jwks.json',
      identitySource: 'email',
      identityMappingMode: 'user-email',
    }),
    client(clients.missingTokenUrl, { ...identityProvider, tokenUrl: undefined }),
    client(clients.missingCredentials, {
      ...identityProvider,
      tokenAuthMethod: 'client_secret_post',
      clientId: undefined,
      clientSecret: undefined,
    }),
    client(clients.insecure, { ...identityProvider, tokenUrl: 'http://localhost:8080/oauth2/token' }),
    client(clients.subject, {
      ...identityProvider,
      identitySource: 'subject',
      identityMappingMode: 'project-membership-external-id',
    }),
    client(clients.useSubject, { ...identityProvider, useSubject: true }),
    client(clients.secretPost, { ...identityProvider, tokenAuthMethod: 'client_secret_post' }),
    client(clients.legacy, { ...identityProvider, useSubject: true }, SECOND_PROJECT_ID, legacyRedirectUri),
  ];
  return seedWith(extra, seed);
}

/** Unsigned tokens with the given claims, as Medplum's test builds them. */
function buildTokens(tokenEmail: string | undefined, sub?: string): Record<string, string> {
  const payload = Buffer.from(JSON.stringify({ email: tokenEmail, sub }), 'ascii').toString('base64');
  return { id_token: `header.${payload}.signature` };
}

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

let idpAnswer: () => Response = () => json(buildTokens(email));
const requests: { url: string; init: RequestInit | undefined }[] = [];
const identityProviderStandIn: typeof fetch = async (input, init) => {
  requests.push({ url: input instanceof Request ? input.url : String(input), init });
  return idpAnswer();
};

let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget({ seed: extendedSeed(), fetch: identityProviderStandIn });
});
afterAll(() => target.stop());

function callback(params: { code?: string; state?: string }): Promise<Response> {
  const url = new URL(`${target.baseUrl}auth/external`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return fetch(url, { redirect: 'manual' });
}

function withState(state: Record<string, unknown>): Promise<Response> {
  return callback({ code: randomUUID(), state: JSON.stringify(state) });
}

async function expectOutcome(res: Response, text: string): Promise<void> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { issue?: { details?: { text?: string } }[] };
  expect(body.issue?.[0]?.details?.text).toBe(text);
}

function redirectOf(res: Response): URL {
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') as string);
}

async function profileDisplayFor(code: string | null): Promise<string | undefined> {
  const response = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'authorization_code', code: code as string, code_verifier: 'xyz' })
  );
  return ((await response.json()) as { profile?: { display?: string } }).profile?.display;
}

const medplum = mirrorOf('packages/server/src/auth/external.test.ts', '030ef4a9c89dce748e950e673dc6fa430aa67924');

medplum.describe(() => {
  medplum.it('Missing code', async () => {
    await expectOutcome(await callback({ code: '', state: 'xyz' }), 'Missing code');
  });

  medplum.it('Missing state', async () => {
    await expectOutcome(await callback({ code: 'xyz', state: '' }), 'Missing state');
  });

  medplum.it('Invalid JSON state', async () => {
    await expectOutcome(await callback({ code: 'xyz', state: 'xyz' }), 'Invalid state');
  });

  medplum.it('Unknown domain', async () => {
    await expectOutcome(await withState({ domain: `${randomUUID()}.example.com` }), 'Identity provider not found');
  });

  medplum.it('Missing identity provider', async () => {
    await expectOutcome(await withState({ domain: domain2 }), 'Identity provider not found');
  });

  medplum.it('Unknown user', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(`not-found@${domain}`));
    await expectOutcome(await withState({ domain }), 'User not found');
  });

  medplum.it('Missing email', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(undefined));
    await expectOutcome(await withState({ domain }), 'External token does not contain email address');
  });

  medplum.it('Email does not match domain', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens('admin@medplum.com'));
    await expectOutcome(await withState({ domain }), 'Email address does not match domain');
  });

  medplum.it('DomainConfiguration success', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    const redirect = redirectOf(await withState({ domain }));
    expect(redirect.host).toBe('localhost:3000');
    expect(redirect.pathname).toBe('/signin');
    expect(redirect.searchParams.get('login')).toBeTruthy();
  });

  medplum.it('ClientApplication success', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    const redirect = redirectOf(await withState({ redirectUri, clientId: clients.externalAuth }));
    expect(redirect.host).toBe(domain);
    expect(redirect.pathname).toBe('/auth/callback');
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  medplum.it('ClientApplication with DomainConfiguration success', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    const redirect = redirectOf(await withState({ domain, redirectUri, clientId: clients.externalAuth }));
    expect(redirect.host).toBe(domain);
    expect(redirect.pathname).toBe('/auth/callback');
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  medplum.it(
    'Login is scoped to the client project across tenants',
    { seedBound: SEED_BOUND.externalIdp },
    async () => {
      idpAnswer = () => json(buildTokens(otherEmail));
      await expectOutcome(await withState({ redirectUri, clientId: clients.externalAuth }), 'User not found');
    }
  );

  medplum.it(
    'id_token signature is verified when jwksUrl is configured',
    { seedBound: SEED_BOUND.externalIdp },
    async () => {
      idpAnswer = () => json(buildTokens(email));
      await expectOutcome(
        await withState({ redirectUri, clientId: clients.jwks }),
        'Failed to verify code - check your identity provider configuration'
      );
    }
  );

  medplum.it('Invalid client', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    await expectOutcome(await withState({ redirectUri, clientId: clients.default }), 'Identity provider not found');
  });

  medplum.it('Missing token URL', { seedBound: SEED_BOUND.externalIdp }, async () => {
    await expectOutcome(
      await withState({ redirectUri, clientId: clients.missingTokenUrl }),
      'Missing token URL for external identity provider'
    );
  });

  medplum.it('Client secret post requires client credentials', { seedBound: SEED_BOUND.externalIdp }, async () => {
    await expectOutcome(
      await withState({ redirectUri, clientId: clients.missingCredentials }),
      'Missing client ID or client secret for external identity provider'
    );
  });

  medplum.it('Invalid project', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    await expectOutcome(
      await withState({ redirectUri, clientId: clients.externalAuth, projectId: randomUUID() }),
      'Invalid project'
    );
  });

  medplum.it('Invalid redirect URI', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    await expectOutcome(
      await withState({ redirectUri: 'https://nope.example.com', clientId: clients.externalAuth }),
      'Invalid redirect URI'
    );
  });

  medplum.it('Invalid token request', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => new Response('invalid', { status: 200, headers: { 'Content-Type': 'application/json' } });
    await expectOutcome(
      await withState({ redirectUri, clientId: clients.externalAuth }),
      'Failed to verify code - check your identity provider configuration'
    );
  });

  medplum.it('Token request includes Accept-Encoding: identity', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    requests.length = 0;
    await withState({ redirectUri, clientId: clients.externalAuth });
    const headers = requests[0]?.init?.headers as Record<string, string> | undefined;
    expect(headers?.['Accept-Encoding']).toBe('identity');
  });

  medplum.it('Insecure token URL is passed to fetch', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(`test@${domain}`));
    requests.length = 0;
    await withState({ redirectUri, clientId: clients.insecure });
    expect(requests[0]?.url).toBe('http://localhost:8080/oauth2/token');
    expect(requests[0]?.init?.method).toBe('POST');
  });

  medplum.it('Subject auth success', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens('', externalId));
    const redirect = redirectOf(
      await withState({ redirectUri, clientId: clients.subject, codeChallenge: 'xyz', codeChallengeMethod: 'plain' })
    );
    expect(redirect.host).toBe(domain);
    expect(redirect.pathname).toBe('/auth/callback');
    expect(redirect.searchParams.get('code')).toBeTruthy();
    expect(await profileDisplayFor(redirect.searchParams.get('code'))).toBe('External User');
  });

  medplum.it('Block partial redirect URI match', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens('', externalId));
    await expectOutcome(
      await withState({
        redirectUri: `${redirectUri}/extra`,
        clientId: clients.useSubject,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      }),
      'Invalid redirect URI'
    );
  });

  medplum.it('Block redirect URI with different host', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens('', externalId));
    await expectOutcome(
      await withState({
        redirectUri: `${redirectUri}.evil.com`,
        clientId: clients.useSubject,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      }),
      'Invalid redirect URI'
    );
  });

  medplum.it('Missing subject', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(undefined, ''));
    await expectOutcome(
      await withState({
        redirectUri,
        clientId: clients.useSubject,
        codeChallenge: 'xyz',
        codeChallengeMethod: 'plain',
      }),
      'External token does not contain subject'
    );
  });

  medplum.it('Client secret post', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(email));
    const redirect = redirectOf(
      await withState({ redirectUri, clientId: clients.secretPost, codeChallenge: 'xyz', codeChallengeMethod: 'plain' })
    );
    expect(redirect.host).toBe(domain);
    expect(redirect.pathname).toBe('/auth/callback');
    expect(redirect.searchParams.get('code')).toBeTruthy();
    expect(await profileDisplayFor(redirect.searchParams.get('code'))).toBe('External Text');
  });

  medplum.it(
    'returnTo URL is followed when explicitly allowed by DomainConfiguration',
    { seedBound: SEED_BOUND.externalIdp },
    async () => {
      idpAnswer = () => json(buildTokens(returnToEmail));
      const redirect = redirectOf(
        await withState({ domain: returnToDomain, returnTo: `${allowedReturnTo}/dashboard` })
      );
      expect(redirect.hostname).toBe('myapp.example.com');
      expect(redirect.pathname).toBe('/dashboard');
      expect(redirect.searchParams.get('login')).toBeTruthy();
    }
  );

  medplum.it(
    'returnTo URL is ignored when not in allowedPostLoginRedirectUrls',
    { seedBound: SEED_BOUND.externalIdp },
    async () => {
      idpAnswer = () => json(buildTokens(email));
      const redirect = redirectOf(await withState({ domain, returnTo: 'https://evil.example.com/steal' }));
      expect(redirect.host).toBe('localhost:3000');
      expect(redirect.pathname).toBe('/signin');
      expect(redirect.searchParams.get('login')).toBeTruthy();
    }
  );

  medplum.it('returnTo URL with confused domain is rejected', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens(returnToEmail));
    const redirect = redirectOf(
      await withState({ domain: returnToDomain, returnTo: 'https://myapp.example.com.evil.com/steal' })
    );
    expect(redirect.host).toBe('localhost:3000');
    expect(redirect.pathname).toBe('/signin');
  });

  medplum.it('Legacy User.externalId support', { seedBound: SEED_BOUND.externalIdp }, async () => {
    idpAnswer = () => json(buildTokens('', legacyExternalId));
    const redirect = redirectOf(await withState({ clientId: clients.legacy, redirectUri: legacyRedirectUri }));
    expect(redirect.host).toBe(legacyDomain);
    expect(redirect.pathname).toBe('/auth/callback');
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });
});
