import { createHash, randomBytes } from 'node:crypto';
import type { WithId } from '@medplum/core';
import { badRequest, createReference, forbidden, isUUID, notFound, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Login } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { findMembership } from '../access/directory.ts';
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
import { me } from './me.ts';

/** packages/server/src/auth/preauthorize.ts: one hour by default, at most a day. */
const PRE_AUTH_CODE_TTL_SECONDS = 60 * 60;
const MAX_PRE_AUTH_CODE_TTL = 24 * 60 * 60;

/**
 * The /auth/* calls MedplumClient and @medplum/react's SignInForm make, as packages/server/src/auth/routes.ts mounts
 * them (login, login/:login, profile, scope, method, me, external, newuser).
 */
export function authRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/auth/method', (c) => authMethod(c, services));
  app.post('/auth/preauthorize', requireAuth(services), (c) => preauthorize(c, services));
  app.post('/auth/login', (c) => login(c, services));
  app.get('/auth/login/:login', (c) => loginStatus(c, services));
  app.post('/auth/profile', (c) => chooseProfile(c, services));
  app.post('/auth/scope', (c) => chooseScope(c, services));
  app.get('/auth/me', requireAuth(services), (c) => me(c, services));
  app.get('/auth/external', externalAuthRoute(services));
  app.post('/auth/newuser', newUser);
  return app;
}

// As packages/server/src/auth/method.ts: a domain's identity provider, else `{}` (never whether the user exists).
async function authMethod(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
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
}

// As packages/server/src/auth/preauthorize.ts: a project admin, acting on behalf of a member, creates a Login that a
// client redeems once with the pre-authorized code grant (src/oauth/token.ts). Only the code's hash is stored.
async function preauthorize(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
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
}

// As packages/server/src/auth/login.ts (validators as login.int.test.ts "Missing email", "Missing password").
async function login(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
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
}

// As packages/server/src/auth/status.ts.
async function loginStatus(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
  const login = findLogin(services, c.req.param('login'));
  if (!login) throw new OperationOutcomeError(notFound);
  if (login.granted) throw new OperationOutcomeError(badRequest('Login already granted'));
  if (login.revoked) throw new OperationOutcomeError(badRequest('Login revoked'));
  return sendLoginResult(c, services, login, login.project?.reference?.split('/')[1]);
}

// As packages/server/src/auth/profile.ts, whose checks are setLoginMembership's (packages/server/src/oauth/utils.ts).
async function chooseProfile(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
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
}

// As packages/server/src/auth/scope.ts and setLoginScope (scope.int.test.ts). The login keeps its code.
async function chooseScope(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
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
}

/**
 * packages/server/src/auth/newuser.ts behind its validators, on a server with `registerEnabled: false`: the emulator
 * registers no users, so a well-formed request is "Registration is disabled" (newuser.test.ts "Register disabled").
 */
async function newUser(c: Context<AppEnv>): Promise<Response> {
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
