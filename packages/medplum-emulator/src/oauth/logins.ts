import { randomBytes } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { createReference } from '@medplum/core';
import type { ClientApplication, Login, ProjectMembership, Reference, SmartAppLaunch, User } from '@medplum/fhirtypes';
import { findClient, findMembership, profileReference } from '../access/directory.ts';
import type { EmulatorServices } from '../services.ts';
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME,
  DEFAULT_REFRESH_TOKEN_LIFETIME,
  ID_TOKEN_LIFETIME,
  parseLifetime,
} from './lifetime.ts';

/**
 * Logins are stored like Medplum stores them: protected `Login` resources in the repository, so codes, refresh secrets
 * and revocations survive a restart with a data file, and the FHIR API never shows them.
 */

export interface NewLogin {
  user: Login['user'];
  client?: WithId<ClientApplication>;
  authMethod: Login['authMethod'];
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: Login['codeChallengeMethod'];
  /** Deprecated `remember: true` also earns a refresh token, as in Medplum. */
  remember?: boolean;
  /** A SMART App Launch (`SmartAppLaunch`) whose patient and encounter the token response carries. */
  launch?: Reference<SmartAppLaunch>;
  /** False for client credentials: Medplum never gives those a refresh token, whatever the scope. */
  allowRefresh?: boolean;
  remoteAddress?: string;
  userAgent?: string;
}

export function randomSecret(): string {
  return randomBytes(32).toString('hex');
}

export async function createLogin(services: EmulatorServices, fields: NewLogin): Promise<WithId<Login>> {
  // As packages/server/src/oauth/token.int.test.ts ("Grant types refresh_token should include refresh token"): a
  // client whose grantType lists refresh_token always earns one, whatever the scope.
  const wantsRefresh =
    fields.allowRefresh !== false &&
    (/\boffline(_access)?\b/.test(fields.scope) ||
      fields.remember === true ||
      fields.client?.grantType?.includes('refresh_token') === true);
  return services.repo.createResource<Login>({
    resourceType: 'Login',
    user: fields.user,
    ...(fields.client ? { client: createReference(fields.client) } : {}),
    authMethod: fields.authMethod,
    authTime: new Date().toISOString(),
    scope: fields.scope,
    nonce: fields.nonce ?? crypto.randomUUID(),
    ...(fields.codeChallenge ? { codeChallenge: fields.codeChallenge } : {}),
    ...(fields.codeChallengeMethod ? { codeChallengeMethod: fields.codeChallengeMethod } : {}),
    ...(fields.launch ? { launch: fields.launch } : {}),
    ...(wantsRefresh ? { refreshSecret: randomSecret() } : {}),
    ...(fields.remoteAddress ? { remoteAddress: fields.remoteAddress } : {}),
    ...(fields.userAgent ? { userAgent: fields.userAgent } : {}),
  });
}

/** Attaches the chosen membership and a fresh single-use authorization code (Medplum's `setLoginMembership`). */
export async function setLoginMembership(
  services: EmulatorServices,
  login: WithId<Login>,
  membership: WithId<ProjectMembership>
): Promise<WithId<Login>> {
  return services.repo.updateResource<Login>({
    ...login,
    membership: createReference(membership),
    project: membership.project,
    profileType: membership.profile?.reference?.split('/')[0] as Login['profileType'],
    code: randomSecret(),
    // Medplum's `medplum-<clientId>` cookie value, which /oauth2/authorize can use to recognise a returning browser.
    ...(login.client ? { cookie: randomSecret() } : {}),
  });
}

export function findLogin(services: EmulatorServices, id: string | undefined): WithId<Login> | undefined {
  if (!id) return undefined;
  return services.repo.list<Login>('Login').find((login) => login.id === id);
}

export function findLoginByCode(services: EmulatorServices, code: string): WithId<Login> | undefined {
  return services.repo.list<Login>('Login').find((login) => login.code === code);
}

export async function updateLogin(services: EmulatorServices, login: WithId<Login>, changes: Partial<Login>) {
  return services.repo.updateResource<Login>({ ...login, ...changes });
}

export interface TokenResponse {
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token: string;
  access_token: string;
  refresh_token?: string;
  project?: Reference;
  profile: Reference;
  patient?: string;
  encounter?: string;
  fhirContext?: SmartAppLaunch['fhirContext'];
  smart_style_url: string;
  need_patient_banner: boolean;
}

/**
 * Signs the three tokens for a granted Login, with Medplum's claims and the client's lifetimes, and answers
 * packages/server/src/oauth/token.ts `sendTokenResponse`'s body (SMART launch context included).
 */
export async function issueTokens(services: EmulatorServices, login: WithId<Login>): Promise<TokenResponse> {
  const membership = findMembership(services.repo, login.membership?.reference?.split('/')[1]);
  if (!membership) throw new Error(`Login/${login.id} has no membership`);
  const client = findClient(services.repo, login.client?.reference?.split('/')[1]);
  const issuer = services.baseUrl;
  const subject = login.user.reference?.split('/')[1] as string;
  const profile = await profileReference(services.repo, membership.profile);
  const scope = login.scope ?? 'openid';
  const email = await emailFor(services, login, scope);
  const clientClaims = client ? { client_id: client.id } : {};
  const accessLifetime = parseLifetime(client?.accessTokenLifetime, DEFAULT_ACCESS_TOKEN_LIFETIME);

  const accessToken = await services.keys.sign(
    {
      iss: issuer,
      aud: issuer,
      sub: subject,
      username: subject,
      login_id: login.id,
      ...clientClaims,
      scope,
      profile: profile.reference,
      ...(email ? { email } : {}),
    },
    accessLifetime
  );
  const idToken = await services.keys.sign(
    {
      iss: issuer,
      aud: client?.id ?? issuer,
      sub: subject,
      login_id: login.id,
      ...clientClaims,
      fhirUser: profile.reference,
      nonce: login.nonce,
      auth_time: Math.floor(new Date(login.authTime).getTime() / 1000),
      ...(email ? { email } : {}),
    },
    parseLifetime(undefined, ID_TOKEN_LIFETIME)
  );
  const refreshToken = login.refreshSecret
    ? await services.keys.sign(
        { iss: issuer, aud: issuer, ...clientClaims, login_id: login.id, refresh_secret: login.refreshSecret },
        parseLifetime(client?.refreshTokenLifetime, DEFAULT_REFRESH_TOKEN_LIFETIME)
      )
    : undefined;

  const launch = login.launch
    ? await services.repo.readReference<SmartAppLaunch>(login.launch).catch(() => undefined)
    : undefined;
  // A launch identifier wins over the FHIR id; a Patient profile wins over the launch (sendTokenResponse).
  let patientId = launch?.patient?.identifier?.value ?? launch?.patient?.reference?.split('/')[1];
  const encounterId = launch?.encounter?.identifier?.value ?? launch?.encounter?.reference?.split('/')[1];
  if (profile.reference?.startsWith('Patient/')) patientId = profile.reference.split('/')[1];
  return {
    token_type: 'Bearer',
    expires_in: accessLifetime,
    scope,
    id_token: idToken,
    access_token: accessToken,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(membership.project ? { project: membership.project } : {}),
    profile,
    ...(patientId ? { patient: patientId } : {}),
    ...(encounterId ? { encounter: encounterId } : {}),
    ...(launch?.fhirContext ? { fhirContext: launch.fhirContext } : {}),
    smart_style_url: `${services.baseUrl}fhir/R4/.well-known/smart-styles.json`,
    need_patient_banner: Boolean(patientId),
  };
}

async function emailFor(services: EmulatorServices, login: Login, scope: string): Promise<string | undefined> {
  if (!scope.split(' ').includes('email') || !login.user.reference?.startsWith('User/')) return undefined;
  const user = await services.repo.readReference(login.user as Reference<User>).catch(() => undefined);
  return user?.email;
}
