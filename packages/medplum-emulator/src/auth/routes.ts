import type { WithId } from '@medplum/core';
import { badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { DomainConfiguration, Login, ProjectMembership, User, UserConfiguration } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-env.ts';
import { readJsonObject } from '../http/body.ts';
import { clientAddress } from '../http/client-address.ts';
import { requireAuth } from '../http/require-auth.ts';
import { findLogin, randomSecret, setLoginMembership, updateLogin } from '../oauth/logins.ts';
import type { EmulatorServices } from '../services.ts';
import { findMembership, readProject } from './directory.ts';
import { externalAuthRoute } from './external.ts';
import type { LoginResult } from './login-flow.ts';
import { loginResult, passwordLogin } from './login-flow.ts';
import { invalidRequest, isEmail, optionalString } from './validation.ts';

/** The /auth/* calls MedplumClient and @medplum/react's SignInForm make (medplum-facts §4.9, §11). */
export function authRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/auth/method', async (c) => {
    const body = await readJsonObject(c);
    if (!isEmail(body.email)) throw invalidRequest([{ field: 'email', message: 'Valid email address is required' }]);
    const domain = body.email.split('@')[1]?.toLowerCase() ?? '';
    const config = services.repo
      .list<DomainConfiguration>('DomainConfiguration')
      .find((candidate) => candidate.domain.toLowerCase() === domain && candidate.identityProvider?.authorizeUrl);
    const idp = config?.identityProvider;
    if (!idp?.authorizeUrl) return c.json({});
    const url = new URL(idp.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', idp.clientId ?? '');
    url.searchParams.set('redirect_uri', `${services.baseUrl}auth/external`);
    url.searchParams.set('scope', 'openid profile email');
    return c.json({ domain, authorizeUrl: url.toString() });
  });

  app.post('/auth/login', async (c) => {
    const body = await readJsonObject(c);
    const problems = [];
    if (!isEmail(body.email)) problems.push({ field: 'email', message: 'Valid email address is required' });
    if (typeof body.password !== 'string' || body.password.length < 8) {
      problems.push({ field: 'password', message: 'Invalid password, must be at least 8 characters' });
    }
    if (problems.length > 0) throw invalidRequest(problems);
    const options = {
      projectId: optionalString(body, 'projectId'),
      clientId: optionalString(body, 'clientId'),
      scope: optionalString(body, 'scope'),
      nonce: optionalString(body, 'nonce'),
      codeChallenge: optionalString(body, 'codeChallenge'),
      codeChallengeMethod: optionalString(body, 'codeChallengeMethod'),
      remember: body.remember === true,
      origin: c.req.header('origin'),
      remoteAddress: clientAddress(c),
      userAgent: c.req.header('user-agent'),
    };
    const { login, projectId } = await passwordLogin(services, body.email as string, body.password as string, options);
    return sendLoginResult(c, services, login, projectId);
  });

  app.get('/auth/login/:login', async (c) => {
    const login = findLogin(services, c.req.param('login'));
    if (!login) throw new OperationOutcomeError(notFound);
    assertPending(login);
    return sendLoginResult(c, services, login, login.project?.reference?.split('/')[1]);
  });

  app.post('/auth/profile', async (c) => {
    const body = await readJsonObject(c);
    const problems = [];
    if (typeof body.login !== 'string') problems.push({ field: 'login', message: 'Missing login' });
    if (typeof body.profile !== 'string') problems.push({ field: 'profile', message: 'Missing profile' });
    if (problems.length > 0) throw invalidRequest(problems);
    const login = findLogin(services, body.login as string);
    if (!login) throw new OperationOutcomeError(notFound);
    assertPending(login);
    const membership = findMembership(services.repo, body.profile as string);
    if (!membership || membership.user?.reference !== login.user.reference || membership.active === false) {
      throw new OperationOutcomeError(badRequest('Profile not found'));
    }
    const granted = await setLoginMembership(services, login, membership);
    setClientCookie(c, granted);
    return c.json({ login: granted.id, code: granted.code });
  });

  app.post('/auth/scope', async (c) => {
    const body = await readJsonObject(c);
    const problems = [];
    if (typeof body.login !== 'string') problems.push({ field: 'login', message: 'Missing login' });
    if (typeof body.scope !== 'string') problems.push({ field: 'scope', message: 'Missing scope' });
    if (problems.length > 0) throw invalidRequest(problems);
    const login = findLogin(services, body.login as string);
    if (!login) throw new OperationOutcomeError(notFound);
    assertPending(login);
    const existing = new Set((login.scope ?? '').split(' '));
    const requested = (body.scope as string).split(' ').filter(Boolean);
    if (!requested.every((scope) => existing.has(scope))) throw new OperationOutcomeError(badRequest('Invalid scope'));
    const updated = await updateLogin(services, login, { scope: requested.join(' '), code: randomSecret() });
    return c.json({ login: updated.id, code: updated.code });
  });

  app.get('/auth/me', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const membership = caller.membership;
    const project = await readProject(services.repo, membership);
    const profile = await services.repo
      .readReference(membership.profile as { reference: string })
      .catch(() => undefined);
    const user = caller.login.user.reference?.startsWith('User/')
      ? await services.repo.readReference<User>(caller.login.user as { reference: string }).catch(() => undefined)
      : undefined;
    const config = membership.userConfiguration
      ? await services.repo.readReference<UserConfiguration>(membership.userConfiguration).catch(() => undefined)
      : undefined;
    return c.json({
      ...(user ? { user: { resourceType: 'User', id: user.id, email: user.email, identifier: user.identifier } } : {}),
      project: project && {
        resourceType: 'Project',
        id: project.id,
        name: project.name,
        description: project.description,
        strictMode: project.strictMode,
        superAdmin: project.superAdmin,
      },
      membership: membershipSummary(membership),
      profile,
      config: config ?? { resourceType: 'UserConfiguration', menu: [] },
      accessPolicy: caller.accessPolicy,
      security: { mfaEnrolled: false, sessions: sessionsOf(services, caller.login.user.reference) },
    });
  });

  app.get('/auth/external', externalAuthRoute(services));

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

/** `medplum-<clientId>`, as Medplum sets it when a login with a client gets its code (httpOnly, secure, SameSite=None, 1 h). */
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

function assertPending(login: Login): void {
  if (login.granted) throw new OperationOutcomeError(badRequest('Login already granted'));
  if (login.revoked) throw new OperationOutcomeError(badRequest('Login revoked'));
}

function membershipSummary(membership: WithId<ProjectMembership>) {
  return {
    resourceType: 'ProjectMembership',
    id: membership.id,
    identifier: membership.identifier,
    user: membership.user,
    profile: membership.profile,
    admin: membership.admin,
  };
}

function sessionsOf(services: EmulatorServices, userReference: string | undefined) {
  return services.repo
    .list<Login>('Login')
    .filter((login) => login.user.reference === userReference && login.granted && !login.revoked)
    .map((login) => ({
      id: login.id,
      lastUpdated: login.meta?.lastUpdated,
      authMethod: login.authMethod,
      remoteAddress: login.remoteAddress,
      browser: undefined,
      os: undefined,
    }));
}
