import { ensureTrailingSlash } from '@medplum/core';
import type {
  AccessPolicy,
  Bundle,
  ClientApplication,
  Device,
  IdentityProvider,
  Patient,
  Practitioner,
  Project,
  ProjectMembership,
  Reference,
  Resource,
  Subscription,
  User,
} from '@medplum/fhirtypes';
import {
  composeSchemas,
  deviceSchema,
  devUserSchema,
  identityProviderSchema,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import bcrypt from 'bcryptjs';
import { deviceResultSystem, SEED_IDS, SUBSCRIPTION_EXTENSIONS, SYSTEMS } from './ids.ts';

type Out<S extends { _zod: { output: unknown } }> = S['_zod']['output'];

/** The configuration values the auth model is built from (a subset of the composed `@org/config` schemas). */
/** The configuration concerns the auth model is built from; load it to get an `AuthModelConfig`. */
export const authModelSchema = composeSchemas(
  webBrowserSchema,
  identityProviderSchema,
  proxySchema,
  deviceSchema,
  devUserSchema
);

export type AuthModelConfig = Pick<
  Out<typeof webBrowserSchema>,
  'NEXT_PUBLIC_MEDPLUM_CLIENT_ID' | 'NEXT_PUBLIC_IDP_CLIENT_ID' | 'NEXT_PUBLIC_IDP_AUTHORIZE_URL'
> &
  Pick<Out<typeof identityProviderSchema>, 'IDP_ISSUER' | 'IDP_CLIENT_SECRET'> &
  Pick<Out<typeof proxySchema>, 'PROXY_MEDPLUM_CLIENT_ID' | 'PROXY_MEDPLUM_CLIENT_SECRET'> &
  Pick<
    Out<typeof deviceSchema>,
    | 'DEVICE_MEDPLUM_CLIENT_ID'
    | 'DEVICE_MEDPLUM_CLIENT_SECRET'
    | 'DEVICE_WEBHOOK_PORT'
    | 'DEVICE_WEBHOOK_USERNAME'
    | 'DEVICE_WEBHOOK_PASSWORD'
    | 'DEVICE_WEBHOOK_SECRET'
  > &
  Pick<Out<typeof devUserSchema>, 'DEV_PRACTITIONER_EMAIL' | 'DEV_PRACTITIONER_PASSWORD'>;

export interface AuthModelOptions {
  /** Origins the web app is served from; each gets `<origin>/` and `<origin><webCallbackPath>` as redirect URIs. */
  webOrigins?: readonly string[];
  /** Default `/auth/callback` (what `@org/auth/browser` sends as redirect_uri). */
  webCallbackPath?: string;
  /** Access-token lifetime of all three ClientApplications (`^\d+[smhdwy]$`, Medplum's default is 1h). */
  accessTokenLifetime?: string;
  /** Per-client override of `accessTokenLifetime`. */
  accessTokenLifetimes?: Partial<Record<'web' | 'proxy' | 'device', string>>;
  /** Refresh-token lifetime of the web client (Medplum's default is 2w). */
  refreshTokenLifetime?: string;
  /** Where Medplum delivers lab orders; default `http://localhost:<DEVICE_WEBHOOK_PORT>/webhooks/medplum`. */
  webhookUrl?: string;
  /** The device's published JWKS; default `http://localhost:<DEVICE_WEBHOOK_PORT>/.well-known/jwks.json`. */
  deviceJwksUri?: string;
  /** Project name in the seed. */
  projectName?: string;
  /** bcrypt cost of the dev user's password hash (default 10, as Medplum); tests may lower it. */
  bcryptRounds?: number;
}

/** How `provision` writes an entry to a real Medplum. */
export type ProvisionVia =
  /** The project of the admin credentials; never created. */
  | 'project'
  /** Plain FHIR, conditional on `match`. */
  | 'fhir'
  /** `POST admin/projects/:id/client`, then FHIR updates of the ClientApplication and its membership. */
  | 'client'
  /** `POST admin/projects/:id/invite` (creates User + profile + membership). */
  | 'invite'
  /** Written as part of another entry (`client` / `invite`); no request of its own. */
  | 'dependent';

export interface ModelEntry<T extends Resource = Resource> {
  /** Stable name of the entry, also its `meta.tag` code. */
  key: string;
  /** The resource exactly as the seed stores it (fixed id, references to other seed ids). */
  resource: T & { id: string };
  via: ProvisionVia;
  /** FHIR search that finds the live resource on a real Medplum (`via: 'fhir'` and `'client'`). */
  match?: string;
  /** For `client` / `invite`: the key of the ProjectMembership entry written with it. */
  membershipKey?: string;
  /** Fields that are never compared nor overwritten on a real Medplum (secrets the server generates, hashes). */
  serverOwned?: readonly string[];
  /** `invite` only: the password the new user gets (never logged; not part of the resource). */
  password?: string;
}

export interface AuthModel {
  projectId: string;
  clientIds: { web: string; proxy: string; device: string };
  /** In dependency order: anything referenced comes before what references it. */
  entries: ModelEntry[];
  redirectUris: string[];
  webhookUrl: string;
  deviceJwksUri: string;
}

export const MODEL_KEYS = {
  project: 'project',
  noAccessPolicy: 'access-policy/no-access',
  practitionerPolicy: 'access-policy/practitioner',
  receptionPolicy: 'access-policy/reception',
  proxyPolicy: 'access-policy/proxy',
  devicePolicy: 'access-policy/device',
  analyzerDevice: 'device/lab-analyzer-1',
  otherDevice: 'device/lab-analyzer-2',
  patientMaria: 'patient/maria-garcia',
  patientJames: 'patient/james-okafor',
  webClient: 'client/web',
  webMembership: 'membership/web',
  proxyClient: 'client/proxy',
  proxyMembership: 'membership/proxy',
  deviceClient: 'client/device',
  deviceMembership: 'membership/device',
  practitioner: 'practitioner/dev',
  practitionerUser: 'user/dev',
  practitionerMembership: 'membership/dev',
  receptionist: 'practitioner/reception',
  receptionistUser: 'user/reception',
  receptionistMembership: 'membership/reception',
  labOrderSubscription: 'subscription/lab-orders',
} as const;

const READ_WRITE = ['create', 'read', 'vread', 'search', 'history', 'update'] as const;

/**
 * The external IdP as Medplum's ClientApplication.identityProvider: the authorize URL the browser is sent to (the
 * same public setting the web app uses) and the token / userinfo / JWKS endpoints at the paths the local Acme SSO
 * (oidc-provider, `routes` in the emulator) publishes under its issuer.
 */
export function identityProviderFor(
  config: Pick<
    AuthModelConfig,
    'IDP_ISSUER' | 'IDP_CLIENT_SECRET' | 'NEXT_PUBLIC_IDP_CLIENT_ID' | 'NEXT_PUBLIC_IDP_AUTHORIZE_URL'
  >
): IdentityProvider {
  const base = ensureTrailingSlash(config.IDP_ISSUER);
  return {
    authorizeUrl: config.NEXT_PUBLIC_IDP_AUTHORIZE_URL,
    tokenUrl: new URL('token', base).toString(),
    userInfoUrl: new URL('userinfo', base).toString(),
    jwksUrl: new URL('jwks', base).toString(),
    // Exactly as the IdP writes it into its ID tokens (Medplum verifies iss against it).
    issuer: config.IDP_ISSUER,
    audience: config.NEXT_PUBLIC_IDP_CLIENT_ID,
    clientId: config.NEXT_PUBLIC_IDP_CLIENT_ID,
    clientSecret: config.IDP_CLIENT_SECRET,
    tokenAuthMethod: 'client_secret_basic',
    // Medplum would send the browser's code *challenge* as the IdP code_verifier (external.ts), which no IdP accepts
    // for S256. PKCE therefore binds the browser to the Medplum login (state.codeChallenge), not to the IdP code.
    usePkce: false,
  };
}

function tag(key: string): { tag: { system: string; code: string }[] } {
  return { tag: [{ system: SYSTEMS.provisioning, code: key }] };
}

function byTag(resourceType: string, key: string): string {
  return `${resourceType}?_tag=${encodeURIComponent(`${SYSTEMS.provisioning}|${key}`)}`;
}

function byIdentifier(resourceType: string, system: string, value: string): string {
  return `${resourceType}?identifier=${encodeURIComponent(`${system}|${value}`)}`;
}

function ref<T extends Resource>(resourceType: T['resourceType'], id: string, display?: string): Reference<T> {
  return display ? { reference: `${resourceType}/${id}`, display } : { reference: `${resourceType}/${id}` };
}

/** The whole auth model as data: what the emulator is seeded with and what `provision` makes a real project match. */
export function buildAuthModel(config: AuthModelConfig, options: AuthModelOptions = {}): AuthModel {
  const ids = SEED_IDS;
  const projectId = ids.project;
  const projectMeta = (key: string) => ({ project: projectId, ...tag(key) });
  const projectRef = ref<Project>('Project', projectId, options.projectName ?? 'Org Medplum Reference');
  const clientIds = {
    web: config.NEXT_PUBLIC_MEDPLUM_CLIENT_ID,
    proxy: config.PROXY_MEDPLUM_CLIENT_ID,
    device: config.DEVICE_MEDPLUM_CLIENT_ID,
  };
  const port = config.DEVICE_WEBHOOK_PORT;
  const webhookUrl = options.webhookUrl ?? `http://localhost:${port}/webhooks/medplum`;
  const deviceJwksUri = options.deviceJwksUri ?? `http://localhost:${port}/.well-known/jwks.json`;
  const callbackPath = options.webCallbackPath ?? '/auth/callback';
  // The callback path only: every other path of the web origin stays out of reach of an authorization code.
  const redirectUris = (options.webOrigins ?? ['http://localhost:3000']).map(
    (origin) => `${origin.replace(/\/+$/, '')}${callbackPath}`
  );
  const lifetime = (client: 'web' | 'proxy' | 'device') =>
    options.accessTokenLifetimes?.[client] ?? options.accessTokenLifetime;
  const K = MODEL_KEYS;
  const analyzerRef = ref<Device>('Device', ids.analyzerDevice, 'Acme lab analyzer 1');

  const [firstName, lastName] = ['Dana', 'Whitfield'];
  const entries: ModelEntry[] = [];
  const add = <T extends Resource>(entry: ModelEntry<T>) => entries.push(entry as unknown as ModelEntry);

  add<Project>({
    key: K.project,
    via: 'project',
    resource: {
      resourceType: 'Project',
      id: projectId,
      meta: projectMeta(K.project),
      name: projectRef.display,
      description: 'Medplum auth reference: client-side, server-side and device patterns',
      strictMode: true,
      owner: ref<User>('User', ids.practitionerUser),
    },
  });

  // --- Access policies -------------------------------------------------------------------------------------------
  add<AccessPolicy>({
    key: K.noAccessPolicy,
    via: 'fhir',
    match: byTag('AccessPolicy', K.noAccessPolicy),
    resource: {
      resourceType: 'AccessPolicy',
      id: ids.noAccessPolicy,
      meta: projectMeta(K.noAccessPolicy),
      name: 'No access (public web client identity)',
      // No `resource` entries at all (FHIR has no empty arrays): nothing is granted.
    },
  });
  add<AccessPolicy>({
    key: K.practitionerPolicy,
    via: 'fhir',
    match: byTag('AccessPolicy', K.practitionerPolicy),
    resource: {
      resourceType: 'AccessPolicy',
      id: ids.practitionerPolicy,
      meta: projectMeta(K.practitionerPolicy),
      name: 'Practitioner',
      resource: [
        { resourceType: 'Patient', interaction: [...READ_WRITE] },
        { resourceType: 'ServiceRequest', interaction: [...READ_WRITE] },
        { resourceType: 'Communication', interaction: ['create', 'read', 'vread', 'search', 'history'] },
        { resourceType: 'Observation', readonly: true },
        { resourceType: 'DiagnosticReport', readonly: true },
        { resourceType: 'Device', readonly: true },
        { resourceType: 'Practitioner', readonly: true },
      ],
    },
  });
  add<AccessPolicy>({
    key: K.receptionPolicy,
    via: 'fhir',
    match: byTag('AccessPolicy', K.receptionPolicy),
    resource: {
      resourceType: 'AccessPolicy',
      id: ids.receptionPolicy,
      meta: projectMeta(K.receptionPolicy),
      name: 'Reception (patient list only)',
      resource: [{ resourceType: 'Patient', readonly: true }],
    },
  });
  add<AccessPolicy>({
    key: K.proxyPolicy,
    via: 'fhir',
    match: byTag('AccessPolicy', K.proxyPolicy),
    resource: {
      resourceType: 'AccessPolicy',
      id: ids.proxyPolicy,
      meta: projectMeta(K.proxyPolicy),
      name: 'Legacy clinic proxy (its own calls; on-behalf-of calls use the user policy)',
      resource: [
        { resourceType: 'Patient', readonly: true },
        { resourceType: 'Observation', readonly: true },
        { resourceType: 'DiagnosticReport', readonly: true },
        { resourceType: 'ServiceRequest', readonly: true },
        { resourceType: 'Communication', interaction: ['create', 'read', 'vread', 'search', 'history'] },
      ],
    },
  });
  add<AccessPolicy>({
    key: K.devicePolicy,
    via: 'fhir',
    match: byTag('AccessPolicy', K.devicePolicy),
    resource: {
      resourceType: 'AccessPolicy',
      id: ids.devicePolicy,
      meta: projectMeta(K.devicePolicy),
      name: 'Lab analyzer (parameter %device)',
      resource: [
        // Orders addressed to this device only.
        {
          resourceType: 'ServiceRequest',
          criteria: 'ServiceRequest?performer=%device',
          interaction: ['read', 'search'],
        },
        // Its own results only; read/search are there because conditional create (If-None-Exist) searches first.
        {
          resourceType: 'Observation',
          criteria: 'Observation?device=%device',
          interaction: ['create', 'read', 'search'],
        },
        {
          resourceType: 'DiagnosticReport',
          criteria: `DiagnosticReport?identifier=${deviceResultSystem('%device.id')}|`,
          interaction: ['create', 'read', 'search'],
        },
      ],
    },
  });

  // --- Devices and demo patients ----------------------------------------------------------------------------------
  for (const [key, id, value, name] of [
    [K.analyzerDevice, ids.analyzerDevice, 'lab-analyzer-1', 'Acme lab analyzer 1'],
    [K.otherDevice, ids.otherDevice, 'lab-analyzer-2', 'Acme lab analyzer 2 (no credentials; for denial tests)'],
  ] as const) {
    add<Device>({
      key,
      via: 'fhir',
      match: byIdentifier('Device', SYSTEMS.device, value),
      resource: {
        resourceType: 'Device',
        id,
        meta: projectMeta(key),
        identifier: [{ system: SYSTEMS.device, value }],
        status: 'active',
        deviceName: [{ name, type: 'user-friendly-name' }],
        manufacturer: 'Acme Diagnostics',
      },
    });
  }
  for (const [key, id, value, given, family, gender, birthDate] of [
    [K.patientMaria, ids.patientMaria, 'MRN-0001', 'Maria', 'Garcia', 'female', '1984-03-12'],
    [K.patientJames, ids.patientJames, 'MRN-0002', 'James', 'Okafor', 'male', '1959-11-02'],
  ] as const) {
    add<Patient>({
      key,
      via: 'fhir',
      match: byIdentifier('Patient', SYSTEMS.patient, value),
      resource: {
        resourceType: 'Patient',
        id,
        meta: projectMeta(key),
        identifier: [{ system: SYSTEMS.patient, value }],
        active: true,
        name: [{ given: [given], family }],
        gender,
        birthDate,
      },
    });
  }

  // --- ClientApplications and their memberships ------------------------------------------------------------------
  const webLifetime = lifetime('web');
  add<ClientApplication>({
    key: K.webClient,
    via: 'client',
    match: byTag('ClientApplication', K.webClient),
    membershipKey: K.webMembership,
    serverOwned: ['secret', 'retiringSecret'],
    resource: {
      resourceType: 'ClientApplication',
      id: clientIds.web,
      meta: projectMeta(K.webClient),
      name: 'Web app (public PKCE client)',
      description: 'apps/web: the browser signs in as the user; no secret, PKCE required',
      status: 'active',
      redirectUris,
      pkceOptional: false,
      identityProvider: identityProviderFor(config),
      ...(webLifetime ? { accessTokenLifetime: webLifetime } : {}),
      ...(options.refreshTokenLifetime ? { refreshTokenLifetime: options.refreshTokenLifetime } : {}),
    },
  });
  add<ProjectMembership>({
    key: K.webMembership,
    via: 'dependent',
    resource: {
      resourceType: 'ProjectMembership',
      id: ids.webMembership,
      meta: projectMeta(K.webMembership),
      project: projectRef,
      user: ref<ClientApplication>('ClientApplication', clientIds.web),
      profile: ref<ClientApplication>('ClientApplication', clientIds.web),
      // Medplum gives every ClientApplication a membership (and a secret); the web one must reach nothing by itself.
      accessPolicy: ref<AccessPolicy>('AccessPolicy', ids.noAccessPolicy),
    },
  });

  const proxyLifetime = lifetime('proxy');
  add<ClientApplication>({
    key: K.proxyClient,
    via: 'client',
    match: byTag('ClientApplication', K.proxyClient),
    membershipKey: K.proxyMembership,
    serverOwned: ['secret', 'retiringSecret'],
    resource: {
      resourceType: 'ClientApplication',
      id: clientIds.proxy,
      meta: projectMeta(K.proxyClient),
      name: 'Legacy clinic proxy (confidential, project admin for on-behalf-of)',
      description: 'apps/proxy: holds this secret server-side and calls Medplum on behalf of its own users',
      status: 'active',
      ...(config.PROXY_MEDPLUM_CLIENT_SECRET ? { secret: config.PROXY_MEDPLUM_CLIENT_SECRET } : {}),
      ...(proxyLifetime ? { accessTokenLifetime: proxyLifetime } : {}),
    },
  });
  add<ProjectMembership>({
    key: K.proxyMembership,
    via: 'dependent',
    resource: {
      resourceType: 'ProjectMembership',
      id: ids.proxyMembership,
      meta: projectMeta(K.proxyMembership),
      project: projectRef,
      user: ref<ClientApplication>('ClientApplication', clientIds.proxy),
      profile: ref<ClientApplication>('ClientApplication', clientIds.proxy),
      // X-Medplum-On-Behalf-Of requires an admin membership. Blast radius: see README ("proxy").
      admin: true,
      accessPolicy: ref<AccessPolicy>('AccessPolicy', ids.proxyPolicy),
    },
  });

  const deviceLifetime = lifetime('device');
  add<ClientApplication>({
    key: K.deviceClient,
    via: 'client',
    match: byTag('ClientApplication', K.deviceClient),
    membershipKey: K.deviceMembership,
    serverOwned: ['secret', 'retiringSecret'],
    resource: {
      resourceType: 'ClientApplication',
      id: clientIds.device,
      meta: projectMeta(K.deviceClient),
      name: 'Lab analyzer (confidential device client)',
      description: 'apps/device: client credentials, Basic fallback, or private_key_jwt with the key it publishes',
      status: 'active',
      // Medplum still wants a secret on the client even for private_key_jwt (token.ts uses client.secret).
      ...(config.DEVICE_MEDPLUM_CLIENT_SECRET ? { secret: config.DEVICE_MEDPLUM_CLIENT_SECRET } : {}),
      jwksUri: deviceJwksUri,
      ...(deviceLifetime ? { accessTokenLifetime: deviceLifetime } : {}),
    },
  });
  add<ProjectMembership>({
    key: K.deviceMembership,
    via: 'dependent',
    resource: {
      resourceType: 'ProjectMembership',
      id: ids.deviceMembership,
      meta: projectMeta(K.deviceMembership),
      project: projectRef,
      user: ref<ClientApplication>('ClientApplication', clientIds.device),
      profile: ref<ClientApplication>('ClientApplication', clientIds.device),
      access: [
        {
          policy: ref<AccessPolicy>('AccessPolicy', ids.devicePolicy),
          parameter: [{ name: 'device', valueReference: analyzerRef }],
        },
      ],
    },
  });

  // --- Practitioners (Medplum users) -------------------------------------------------------------------------------
  const email = config.DEV_PRACTITIONER_EMAIL.toLowerCase();
  add<Practitioner>({
    key: K.practitioner,
    via: 'invite',
    membershipKey: K.practitionerMembership,
    password: config.DEV_PRACTITIONER_PASSWORD,
    match: byIdentifier('Practitioner', SYSTEMS.practitioner, 'dev-practitioner'),
    resource: {
      resourceType: 'Practitioner',
      id: ids.practitioner,
      meta: projectMeta(K.practitioner),
      identifier: [{ system: SYSTEMS.practitioner, value: 'dev-practitioner' }],
      active: true,
      name: [{ given: [firstName], family: lastName, prefix: ['Dr.'] }],
      telecom: [{ system: 'email', use: 'work', value: email }],
    },
  });
  add<User>({
    key: K.practitionerUser,
    via: 'dependent',
    serverOwned: ['passwordHash'],
    resource: {
      resourceType: 'User',
      id: ids.practitionerUser,
      meta: tag(K.practitionerUser),
      firstName,
      lastName,
      email,
      emailVerified: true,
      passwordHash: bcrypt.hashSync(config.DEV_PRACTITIONER_PASSWORD, options.bcryptRounds ?? 10),
    },
  });
  add<ProjectMembership>({
    key: K.practitionerMembership,
    via: 'dependent',
    resource: {
      resourceType: 'ProjectMembership',
      id: ids.practitionerMembership,
      meta: projectMeta(K.practitionerMembership),
      project: projectRef,
      user: ref<User>('User', ids.practitionerUser, email),
      profile: ref<Practitioner>('Practitioner', ids.practitioner, `Dr. ${firstName} ${lastName}`),
      accessPolicy: ref<AccessPolicy>('AccessPolicy', ids.practitionerPolicy),
    },
  });

  // Plus-addressed from the dev practitioner's email: on a real Medplum an invite links whichever *global* user has
  // this address, so it must be an address the same person controls.
  const [local, domain] = email.split('@');
  const receptionEmail = `${local}+reception@${domain}`;
  add<Practitioner>({
    key: K.receptionist,
    via: 'invite',
    membershipKey: K.receptionistMembership,
    match: byIdentifier('Practitioner', SYSTEMS.practitioner, 'reception'),
    resource: {
      resourceType: 'Practitioner',
      id: ids.receptionist,
      meta: projectMeta(K.receptionist),
      identifier: [{ system: SYSTEMS.practitioner, value: 'reception' }],
      active: true,
      name: [{ given: ['Robin'], family: 'Reyes' }],
      telecom: [{ system: 'email', use: 'work', value: receptionEmail }],
    },
  });
  add<User>({
    key: K.receptionistUser,
    via: 'dependent',
    serverOwned: ['passwordHash'],
    resource: {
      resourceType: 'User',
      id: ids.receptionistUser,
      meta: tag(K.receptionistUser),
      firstName: 'Robin',
      lastName: 'Reyes',
      email: receptionEmail,
      emailVerified: true,
      // No password: this user exists to be acted for (on-behalf-of) by the proxy with a narrow policy.
    },
  });
  add<ProjectMembership>({
    key: K.receptionistMembership,
    via: 'dependent',
    resource: {
      resourceType: 'ProjectMembership',
      id: ids.receptionistMembership,
      meta: projectMeta(K.receptionistMembership),
      project: projectRef,
      user: ref<User>('User', ids.receptionistUser, receptionEmail),
      profile: ref<Practitioner>('Practitioner', ids.receptionist, 'Robin Reyes'),
      accessPolicy: ref<AccessPolicy>('AccessPolicy', ids.receptionPolicy),
    },
  });

  // --- The lab-order subscription ----------------------------------------------------------------------------------
  const basic = Buffer.from(`${config.DEVICE_WEBHOOK_USERNAME}:${config.DEVICE_WEBHOOK_PASSWORD}`, 'utf8').toString(
    'base64'
  );
  add<Subscription>({
    key: K.labOrderSubscription,
    via: 'fhir',
    match: byTag('Subscription', K.labOrderSubscription),
    resource: {
      resourceType: 'Subscription',
      id: ids.labOrderSubscription,
      meta: projectMeta(K.labOrderSubscription),
      status: 'active',
      reason: 'New lab orders for the analyzer (apps/device webhook inbox)',
      criteria: `ServiceRequest?performer=Device/${ids.analyzerDevice}`,
      channel: {
        type: 'rest-hook',
        endpoint: webhookUrl,
        payload: 'application/fhir+json',
        header: [`Authorization: Basic ${basic}`],
      },
      extension: [
        { url: SUBSCRIPTION_EXTENSIONS.secret, valueString: config.DEVICE_WEBHOOK_SECRET },
        { url: SUBSCRIPTION_EXTENSIONS.supportedInteraction, valueCode: 'create' },
      ],
    },
  });

  return { projectId, clientIds, entries, redirectUris, webhookUrl, deviceJwksUri };
}

/** The emulator's seed: every model resource exactly as Medplum stores it, fixed ids kept. */
export function buildEmulatorSeed(config: AuthModelConfig, options: AuthModelOptions = {}): Bundle {
  const model = buildAuthModel(config, options);
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: model.entries.map((entry) => ({
      fullUrl: `urn:uuid:${entry.resource.id}`,
      resource: entry.resource,
    })),
  };
}
