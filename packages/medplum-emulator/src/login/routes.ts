import { createHash, randomBytes } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { badRequest, createReference, forbidden, isUUID, notFound, OperationOutcomeError } from '@medplum/core';
import type {
  AccessPolicy,
  ClientApplication,
  Login,
  Project,
  ProjectMembership,
  Reference,
  User,
  UserConfiguration,
  UserConfigurationMenu,
} from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { findMembership, membershipsOf, readProject } from '../access/directory.ts';
import type { AppEnv } from '../http/app-env.ts';
import { readJsonObject } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import { requireAuth } from '../http/require-auth.ts';
import type { FieldProblem } from '../http/validation.ts';
import { byteLength, invalidRequest, isEmail, optionalString } from '../http/validation.ts';
import { findLogin, setLoginMembership, updateLogin } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { domainConfiguration, externalAuthRoute } from './external.ts';
import type { LoginResult } from './login-flow.ts';
import { assertProjectRequirements, isScopeSubset, loginResult, passwordLogin } from './login-flow.ts';

/** packages/server/src/auth/preauthorize.ts: one hour by default, at most a day. */
const PRE_AUTH_CODE_TTL_SECONDS = 60 * 60;
const MAX_PRE_AUTH_CODE_TTL = 24 * 60 * 60;

/**
 * The /auth/* calls MedplumClient and @medplum/react's SignInForm make, as packages/server/src/auth/routes.ts mounts
 * them (login, login/:login, profile, scope, method, me, external, newuser).
 */
export function authRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // As packages/server/src/auth/method.ts: a domain's identity provider, else `{}` (never whether the user exists).
  app.post('/auth/method', async (c) => {
    const body = await readJsonObject(c);
    if (!isEmail(body.email)) throw invalidRequest([{ field: 'email', message: 'Valid email address is required' }]);
    const domain = body.email.split('@')[1] as string;
    const idp = domainConfiguration(services, domain)?.identityProvider;
    if (!idp) return c.json({});
    let url: URL;
    try {
      url = new URL(idp.authorizeUrl as string);
    } catch {
      // method.int.test.ts "Domain config authorize url without protocol".
      throw new OperationOutcomeError(badRequest('Failed to construct URL for the domain'));
    }
    url.searchParams.set('client_id', idp.clientId as string);
    url.searchParams.set('redirect_uri', `${services.baseUrl}auth/external`);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', 'openid profile email');
    return c.json({ domain, authorizeUrl: url.toString() });
  });

  // As packages/server/src/auth/preauthorize.ts: a project admin, acting on behalf of a member, creates a Login that a
  // client redeems once with the pre-authorized code grant (src/oauth/token.ts). Only the code's hash is stored.
  app.post('/auth/preauthorize', requireAuth(services), async (c) => {
    const body = await readJsonObject(c);
    const problems: FieldProblem[] = [];
    if (!isUUID(String(body.clientId ?? ''))) problems.push({ field: 'clientId', message: 'Client ID is required' });
    for (const field of ['scope', 'nonce'] as const) {
      if (body[field] !== undefined && typeof body[field] !== 'string') {
        problems.push({ field, message: `${field[0]?.toUpperCase()}${field.slice(1)} must be a string` });
      }
    }
    const expiresIn = body.expiresIn ?? PRE_AUTH_CODE_TTL_SECONDS;
    if (!Number.isInteger(expiresIn) || (expiresIn as number) < 1 || (expiresIn as number) > MAX_PRE_AUTH_CODE_TTL) {
      problems.push({
        field: 'expiresIn',
        message: `expiresIn must be a positive integer not exceeding ${MAX_PRE_AUTH_CODE_TTL} seconds`,
      });
    }
    if (problems.length > 0) throw invalidRequest(problems);
    const caller = c.get('caller');
    if (!caller.callerMembership.admin) throw new OperationOutcomeError(forbidden);
    if (!caller.onBehalfOf)
      throw new OperationOutcomeError(badRequest('Pre-authorization requires onBehalfOfMembership'));
    const client = services.repo
      .list<ClientApplication>('ClientApplication')
      .find((candidate) => candidate.id === body.clientId && candidate.meta?.project === caller.projectId);
    if (!client) throw new OperationOutcomeError(notFound);
    const preAuthorizedCode = randomBytes(128).toString('hex');
    const expiresAt = new Date(Date.now() + (expiresIn as number) * 1000).toISOString();
    const target = caller.membership;
    await services.repo.createResource<Login>({
      resourceType: 'Login',
      authMethod: 'pre-authorized' as Login['authMethod'],
      ...(caller.projectId ? { project: { reference: `Project/${caller.projectId}` } } : {}),
      client: createReference(client as WithId<ClientApplication>),
      profileType: target.profile?.reference?.split('/')[0],
      membership: createReference(target),
      user: target.user,
      authTime: new Date().toISOString(),
      scope: optionalString(body, 'scope') ?? 'openid',
      nonce: optionalString(body, 'nonce') ?? crypto.randomUUID(),
      remoteAddress: clientAddress(c),
      ...(c.req.header('user-agent') ? { userAgent: c.req.header('user-agent') as string } : {}),
      preAuthorizedCodeHash: createHash('sha256').update(preAuthorizedCode).digest('hex'),
      expiresAt,
    } as Login);
    return c.json({ preAuthorizedCode, expiresAt });
  });

  // As packages/server/src/auth/login.ts (validators as login.int.test.ts "Missing email", "Missing password").
  app.post('/auth/login', async (c) => {
    const body = await readJsonObject(c);
    const problems: FieldProblem[] = [];
    if (!isEmail(body.email)) problems.push({ field: 'email', message: 'Valid email address is required' });
    if (String(body.password ?? '').length < 8) {
      problems.push({ field: 'password', message: 'Password must be at least 8 characters' });
    }
    if (problems.length > 0) throw invalidRequest(problems);
    const options = {
      projectId: optionalString(body, 'projectId'),
      clientId: optionalString(body, 'clientId'),
      scope: optionalString(body, 'scope'),
      nonce: optionalString(body, 'nonce'),
      launchId: optionalString(body, 'launch'),
      codeChallenge: optionalString(body, 'codeChallenge'),
      codeChallengeMethod: optionalString(body, 'codeChallengeMethod'),
      remember: body.remember === true,
      origin: c.req.header('origin'),
      remoteAddress: clientAddress(c),
      userAgent: c.req.header('user-agent'),
    };
    const { login, projectId } = await passwordLogin(services, body.email as string, String(body.password), options);
    return sendLoginResult(c, services, login, projectId);
  });

  // As packages/server/src/auth/status.ts.
  app.get('/auth/login/:login', async (c) => {
    const login = findLogin(services, c.req.param('login'));
    if (!login) throw new OperationOutcomeError(notFound);
    if (login.granted) throw new OperationOutcomeError(badRequest('Login already granted'));
    if (login.revoked) throw new OperationOutcomeError(badRequest('Login revoked'));
    return sendLoginResult(c, services, login, login.project?.reference?.split('/')[1]);
  });

  // As packages/server/src/auth/profile.ts, whose checks are setLoginMembership's (packages/server/src/oauth/utils.ts).
  app.post('/auth/profile', async (c) => {
    const body = await readJsonObject(c);
    const problems: FieldProblem[] = [];
    if (body.login === undefined) problems.push({ field: 'login', message: 'Missing login' });
    if (body.profile === undefined) problems.push({ field: 'profile', message: 'Missing profile' });
    if (problems.length > 0) throw invalidRequest(problems);
    const login = findLogin(services, String(body.login));
    if (!login) throw new OperationOutcomeError(notFound);
    if (login.revoked) throw new OperationOutcomeError(badRequest('Login revoked'));
    if (login.granted) throw new OperationOutcomeError(badRequest('Login granted'));
    if (login.membership) throw new OperationOutcomeError(badRequest('Login profile already set'));
    const membership = findMembership(services.repo, String(body.profile));
    if (!membership) throw new OperationOutcomeError(badRequest('Profile not found'));
    if (membership.user?.reference !== login.user.reference) {
      throw new OperationOutcomeError(badRequest('Invalid profile'));
    }
    // login.test.ts (05b1fcb4) "Inactive membership".
    if (membership.active === false) throw new OperationOutcomeError(badRequest('Profile not active'));
    await assertProjectRequirements(services, login, membership);
    const granted = await setLoginMembership(services, login, membership);
    setClientCookie(c, granted);
    return c.json({ login: granted.id, code: granted.code });
  });

  // As packages/server/src/auth/scope.ts and setLoginScope (scope.int.test.ts). The login keeps its code.
  app.post('/auth/scope', async (c) => {
    const body = await readJsonObject(c);
    const problems: FieldProblem[] = [];
    if (body.login === undefined) problems.push({ field: 'login', message: 'Missing login' });
    if (body.scope === undefined) problems.push({ field: 'scope', message: 'Missing scope' });
    if (problems.length > 0) throw invalidRequest(problems);
    const login = findLogin(services, String(body.login));
    if (!login) throw new OperationOutcomeError(notFound);
    if (login.revoked) throw new OperationOutcomeError(badRequest('Login revoked'));
    if (login.granted) throw new OperationOutcomeError(badRequest('Login granted'));
    if (!login.membership) throw new OperationOutcomeError(badRequest('Login profile not set'));
    const scope = String(body.scope);
    if (!isScopeSubset(login.scope ?? '', scope)) throw new OperationOutcomeError(badRequest('Invalid scope'));
    const updated = await updateLogin(services, login, { scope });
    return c.json({ login: updated.id, code: updated.code });
  });

  app.get('/auth/me', requireAuth(services), async (c) => me(c, services));

  app.get('/auth/external', externalAuthRoute(services));

  /**
   * packages/server/src/auth/newuser.ts behind its validators, on a server with `registerEnabled: false`: the emulator
   * registers no users, so a well-formed request is "Registration is disabled" (newuser.test.ts "Register disabled").
   */
  app.post('/auth/newuser', async (c) => {
    const body = await readJsonObject(c);
    const problems: FieldProblem[] = [];
    const length = (value: unknown) => String(value ?? '').length;
    if (length(body.firstName) < 1 || length(body.firstName) > 128) {
      problems.push({ field: 'firstName', message: 'First name must be between 1 and 128 characters' });
    }
    if (length(body.lastName) < 1 || length(body.lastName) > 128) {
      problems.push({ field: 'lastName', message: 'Last name must be between 1 and 128 characters' });
    }
    if (!isEmail(body.email) || length(body.email) < 3 || length(body.email) > 72) {
      problems.push({ field: 'email', message: 'Valid email address between 3 and 72 characters is required' });
    }
    const passwordBytes = byteLength(String(body.password ?? ''));
    if (passwordBytes < 8 || passwordBytes > 72) {
      problems.push({ field: 'password', message: 'Password must be between 8 and 72 characters' });
    }
    if (problems.length > 0) throw invalidRequest(problems);
    throw new OperationOutcomeError(badRequest('Registration is disabled'));
  });

  return app;
}

async function sendLoginResult(
  c: Context,
  services: EmulatorServices,
  login: WithId<Login>,
  projectId: string | undefined
): Promise<Response> {
  const { result, login: updated } = await loginResult(services, login, projectId);
  if (result.code) setClientCookie(c, updated);
  return c.json(result satisfies LoginResult);
}

/** `medplum-<clientId>`, as Medplum's sendLoginCookie sets it (httpOnly, secure, SameSite=None, 1 h). */
function setClientCookie(c: Context, login: Login): void {
  const clientId = login.client?.reference?.split('/')[1];
  if (!clientId || !login.cookie) return;
  setCookie(c, `medplum-${clientId}`, login.cookie, {
    httpOnly: true,
    secure: true,
    sameSite: 'None',
    maxAge: 3600,
    path: '/',
  });
}

/**
 * `GET /auth/me`, as packages/server/src/auth/me.ts: the caller's user (Users only), project, membership, profile,
 * UserConfiguration (with Medplum's default menu), access policy, and — for a User — security: MFA, the sessions of
 * the last hour, and the user's active memberships in this project (me.test.ts "Get user memberships").
 */
async function me(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
  const caller = c.get('caller');
  // The real caller's membership, also under X-Medplum-On-Behalf-Of (Medplum's authState.membership).
  const membership =
    findMembership(services.repo, caller.login.membership?.reference?.split('/')[1]) ?? caller.membership;
  const project = await readProject(services.repo, membership);
  const profile = await services.repo.readReference(membership.profile as { reference: string }).catch(() => undefined);
  const user = membership.user?.reference?.startsWith('User/')
    ? await services.repo.readReference<User>(membership.user as Reference<User>).catch(() => undefined)
    : undefined;
  return c.json({
    ...(user ? { user: { resourceType: 'User', id: user.id, email: user.email, identifier: user.identifier } } : {}),
    project: {
      resourceType: 'Project',
      id: project?.id,
      name: project?.name,
      description: project?.description,
      strictMode: project?.strictMode,
      superAdmin: project?.superAdmin,
    },
    membership: {
      resourceType: 'ProjectMembership',
      id: membership.id,
      identifier: membership.identifier,
      user: membership.user,
      profile: membership.profile,
      admin: membership.admin,
    },
    profile,
    config: await userConfiguration(services, project, membership),
    accessPolicy: withBasedOn(caller.accessPolicy, caller.membership),
    ...(user
      ? {
          security: {
            mfaEnrolled: Boolean(user.mfaEnrolled),
            sessions: sessionsOf(services, user),
            memberships: membershipsOf(services.repo, user).filter(
              (m) => m.project?.reference === membership.project?.reference
            ),
          },
        }
      : {}),
  });
}

/** The membership's UserConfiguration, or an empty one; without a menu it gets Medplum's getUserConfigurationMenu. */
async function userConfiguration(
  services: EmulatorServices,
  project: Project | undefined,
  membership: ProjectMembership
): Promise<UserConfiguration> {
  const stored = membership.userConfiguration
    ? await services.repo.readReference<UserConfiguration>(membership.userConfiguration).catch(() => undefined)
    : undefined;
  const config: UserConfiguration = stored ? { ...stored } : { resourceType: 'UserConfiguration' };
  if (!config.menu) config.menu = defaultMenu(project, membership);
  return config;
}

function defaultMenu(project: Project | undefined, membership: ProjectMembership): UserConfigurationMenu[] {
  const favorites = ['Patient', 'Practitioner', 'Organization', 'ServiceRequest', 'DiagnosticReport', 'Questionnaire'];
  const menu: UserConfigurationMenu[] = [
    { title: 'Favorites', link: favorites.map((resourceType) => ({ name: resourceType, target: `/${resourceType}` })) },
  ];
  if (membership.admin) {
    menu.push({
      title: 'Admin',
      link: [
        { name: 'Project', target: '/admin/project' },
        { name: 'AccessPolicy', target: '/AccessPolicy' },
        { name: 'Subscriptions', target: '/Subscription' },
        { name: 'Batch', target: '/batch' },
        ...(project?.superAdmin ? [] : [{ name: 'Config', target: '/admin/config' }]),
      ],
    });
  }
  if (project?.superAdmin) {
    menu.push({
      title: 'Super Admin',
      link: [
        { name: 'Projects', target: '/Project' },
        { name: 'Super Config', target: '/admin/super' },
        { name: 'Super AsyncJob', target: '/admin/super/asyncjob' },
      ],
    });
  }
  return menu;
}

/** Medplum's built policy names the policies it combines in `basedOn` (me.test.ts "AccessPolicy.basedOn"). */
function withBasedOn(policy: AccessPolicy, membership: ProjectMembership): AccessPolicy {
  const basedOn = [
    ...(membership.accessPolicy ? [membership.accessPolicy] : []),
    ...(membership.access ?? []).map((access) => access.policy),
  ];
  return basedOn.length > 0 ? { ...policy, basedOn } : policy;
}

const SESSION_WINDOW_MS = 3600 * 1000;

/** Logins of the last hour with a membership and not revoked, as me.ts getSessions. */
function sessionsOf(services: EmulatorServices, user: WithId<User>) {
  const since = Date.now() - SESSION_WINDOW_MS;
  return services.repo
    .list<Login>('Login')
    .filter((login) => login.user.reference === `User/${user.id}` && login.membership && !login.revoked)
    .filter((login) => new Date(login.meta?.lastUpdated ?? 0).getTime() > since)
    .map((login) => ({
      id: login.id,
      lastUpdated: login.meta?.lastUpdated,
      authMethod: login.authMethod,
      remoteAddress: login.remoteAddress,
      browser: login.userAgent ? browserName(login.userAgent) : undefined,
      os: login.userAgent ? osName(login.userAgent) : undefined,
    }));
}

/** Browser and OS names as Bowser (which Medplum uses) reports them, for the common user agents. */
function browserName(userAgent: string): string | undefined {
  if (/\bEdg(e|A|iOS)?\//.test(userAgent)) return 'Microsoft Edge';
  if (/\b(OPR|Opera)\//.test(userAgent)) return 'Opera';
  if (/\b(Firefox|FxiOS)\//.test(userAgent)) return 'Firefox';
  if (/\b(Chrome|CriOS|Chromium)\//.test(userAgent)) return 'Chrome';
  if (/\bSafari\//.test(userAgent)) return 'Safari';
  return undefined;
}

function osName(userAgent: string): string | undefined {
  if (/Windows/.test(userAgent)) return 'Windows';
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'iOS';
  if (/Android/.test(userAgent)) return 'Android';
  if (/Mac OS X|Macintosh/.test(userAgent)) return 'macOS';
  if (/CrOS/.test(userAgent)) return 'Chrome OS';
  if (/Linux/.test(userAgent)) return 'Linux';
  return undefined;
}
