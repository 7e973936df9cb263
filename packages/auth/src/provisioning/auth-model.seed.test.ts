import type {
  AccessPolicy,
  ClientApplication,
  ProjectMembership,
  Resource,
  Subscription,
  User,
} from '@medplum/fhirtypes';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { MODEL_KEYS, SEED_IDS, SUBSCRIPTION_EXTENSIONS, SYSTEMS } from '../ids.ts';
import { buildAuthModel, buildEmulatorSeed, withOverrides } from './model/index.ts';
import { DEV_OPTIONS } from './testing/config.ts';

const options = { ...DEV_OPTIONS, bcryptRounds: 4 };

function byKey<T extends Resource>(key: string): T {
  const entry = buildAuthModel(options).entries.find((e) => e.key === key);
  if (!entry) throw new Error(`no ${key}`);
  return entry.resource as unknown as T;
}

describe('the emulator seed', () => {
  it('is built from the real configuration defaults', () => {
    // DEV_OPTIONS: @org/config's defaults mapped to options, with no environment and no env files.
    const seed = buildEmulatorSeed(options);
    expect(seed.entry?.length).toBeGreaterThan(15);
  });

  it('has the same ids on every build, and the configured client ids', () => {
    const ids = (b: ReturnType<typeof buildEmulatorSeed>) =>
      b.entry?.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
    expect(ids(buildEmulatorSeed(options))).toEqual(ids(buildEmulatorSeed(options)));
    const clients = buildEmulatorSeed(options).entry?.filter((e) => e.resource?.resourceType === 'ClientApplication');
    expect(clients?.map((e) => e.resource?.id).sort()).toEqual(
      [
        DEV_OPTIONS.web.clientId,
        DEV_OPTIONS.proxy.clientId,
        DEV_OPTIONS.device.clientId,
        DEV_OPTIONS.pipeline.clientId,
      ].sort()
    );
  });

  it('uses UUIDs for every id (a real Medplum accepts nothing else)', () => {
    for (const entry of buildEmulatorSeed(options).entry ?? []) {
      expect(entry.resource?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('only references resources that are in the seed', () => {
    const seed = buildEmulatorSeed(options);
    const known = new Set(seed.entry?.map((e) => `${e.resource?.resourceType}/${e.resource?.id}`));
    const refs = [...JSON.stringify(seed).matchAll(/"reference":"([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(known, ref).toContain(ref);
  });

  it('tags every resource with its model key', () => {
    for (const entry of buildAuthModel(options).entries) {
      expect(entry.resource.meta?.tag).toContainEqual({ system: SYSTEMS.provisioning, code: entry.key });
    }
  });

  it("stores the dev practitioner's password as a bcrypt hash only", () => {
    const user = byKey<User>(MODEL_KEYS.practitionerUser);
    expect(user.email).toBe('practitioner@example.com');
    expect(bcrypt.compareSync(DEV_OPTIONS.devUser.password, user.passwordHash ?? '')).toBe(true);
    expect(JSON.stringify(buildEmulatorSeed(options))).not.toContain(DEV_OPTIONS.devUser.password);
  });
});

describe('the three ClientApplications', () => {
  it('web: public PKCE client, exact redirect URIs, the local Acme SSO', () => {
    const web = byKey<ClientApplication>(MODEL_KEYS.webClient);
    expect(web.secret).toBeUndefined();
    expect(web.pkceOptional).toBe(false);
    expect(web.redirectUris).toEqual(['http://localhost:3000/auth/callback']);
    expect(web.identityProvider).toEqual({
      authorizeUrl: DEV_OPTIONS.externalIdp.authorizeUrl,
      tokenUrl: 'http://localhost:8104/token',
      userInfoUrl: 'http://localhost:8104/userinfo',
      jwksUrl: 'http://localhost:8104/jwks',
      issuer: DEV_OPTIONS.externalIdp.issuer,
      audience: 'medplum-web',
      clientId: 'medplum-web',
      clientSecret: DEV_OPTIONS.externalIdp.clientSecret,
      tokenAuthMethod: 'client_secret_basic',
      usePkce: false,
    });
    const membership = byKey<ProjectMembership>(MODEL_KEYS.webMembership);
    expect(membership.accessPolicy?.reference).toBe(`AccessPolicy/${SEED_IDS.noAccessPolicy}`);
    expect(byKey<AccessPolicy>(MODEL_KEYS.noAccessPolicy).resource).toBeUndefined();
  });

  it('proxy: confidential, admin membership (needed for on-behalf-of) with its own policy', () => {
    expect(byKey<ClientApplication>(MODEL_KEYS.proxyClient).secret).toBe(DEV_OPTIONS.proxy.clientSecret);
    const membership = byKey<ProjectMembership>(MODEL_KEYS.proxyMembership);
    expect(membership).toMatchObject({
      admin: true,
      user: { reference: `ClientApplication/${DEV_OPTIONS.proxy.clientId}` },
    });
  });

  it('device: confidential, publishes its JWKS, bound to its Device through the policy parameter', () => {
    const device = byKey<ClientApplication>(MODEL_KEYS.deviceClient);
    expect(device.jwksUri).toBe('http://localhost:3002/.well-known/jwks.json');
    const membership = byKey<ProjectMembership>(MODEL_KEYS.deviceMembership);
    expect(membership.admin).toBeUndefined();
    expect(membership.accessPolicy).toBeUndefined();
    expect(membership.access).toEqual([
      {
        policy: { reference: `AccessPolicy/${SEED_IDS.devicePolicy}` },
        parameter: [
          {
            name: 'device',
            valueReference: { reference: `Device/${SEED_IDS.analyzerDevice}`, display: 'Acme lab analyzer 1' },
          },
        ],
      },
    ]);
    const policy = byKey<AccessPolicy>(MODEL_KEYS.devicePolicy);
    expect(policy.resource?.map((r) => [r.resourceType, r.interaction?.join(',')])).toEqual([
      ['ServiceRequest', 'read,search'],
      ['Observation', 'create,read,search'],
      ['DiagnosticReport', 'create,read,search'],
      ['ActivityDefinition', undefined],
      ['ObservationDefinition', undefined],
      ['ValueSet', undefined],
    ]);
    // Everything it writes or reads of patient data is bound to its Device; the catalogue is read-only.
    expect(policy.resource?.every((r) => r.criteria?.includes('%device') || (r.readonly && !r.criteria))).toBe(true);
    expect(policy.resource?.filter((r) => !r.criteria).map((r) => r.resourceType)).toEqual([
      'ActivityDefinition',
      'ObservationDefinition',
      'ValueSet',
    ]);
  });

  it('options set token lifetimes and endpoints', () => {
    const model = buildAuthModel(
      withOverrides(options, {
        accessTokenLifetime: '1m',
        web: { origins: ['http://127.0.0.1:4000'] },
        device: {
          accessTokenLifetime: '30s',
          jwksUri: 'http://127.0.0.1:5555/jwks',
          webhook: { url: 'http://127.0.0.1:5555/hook' },
        },
      })
    );
    const get = (key: string) => model.entries.find((e) => e.key === key)?.resource as ClientApplication;
    expect(get(MODEL_KEYS.webClient).accessTokenLifetime).toBe('1m');
    expect(get(MODEL_KEYS.deviceClient).accessTokenLifetime).toBe('30s');
    expect(get(MODEL_KEYS.deviceClient).jwksUri).toBe('http://127.0.0.1:5555/jwks');
    expect(get(MODEL_KEYS.webClient).redirectUris).toEqual(['http://127.0.0.1:4000/auth/callback']);
    const sub = model.entries.find((e) => e.key === MODEL_KEYS.labOrderSubscription)?.resource as Subscription;
    expect(sub.channel.endpoint).toBe('http://127.0.0.1:5555/hook');
  });
});

describe('the lab-order subscription', () => {
  it('delivers new ServiceRequests for the analyzer, signed, with Basic credentials', () => {
    const sub = byKey<Subscription>(MODEL_KEYS.labOrderSubscription);
    expect(sub.status).toBe('active');
    expect(sub.criteria).toBe(`ServiceRequest?performer=Device/${SEED_IDS.analyzerDevice}`);
    expect(sub.channel).toMatchObject({ type: 'rest-hook', endpoint: 'http://localhost:3002/webhooks/medplum' });
    const basic = Buffer.from('medplum-webhook:dev-only-webhook-password').toString('base64');
    expect(sub.channel.header).toEqual([`Authorization: Basic ${basic}`]);
    expect(sub.extension).toEqual([
      { url: SUBSCRIPTION_EXTENSIONS.secret, valueString: DEV_OPTIONS.device.webhook.secret },
      { url: SUBSCRIPTION_EXTENSIONS.supportedInteraction, valueCode: 'create' },
    ]);
  });
});
