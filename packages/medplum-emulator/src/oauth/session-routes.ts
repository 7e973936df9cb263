import type { ProfileResource } from '@medplum/core';
import { allOk, formatAddress, formatHumanName } from '@medplum/core';
import type { Address, ContactPoint, HumanName, Reference, User } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { timingSafeEqualStrings } from '../access/authenticate.ts';
import type { AppEnv } from '../http/app-env.ts';
import { isFormBody, readForm, readJsonObject } from '../http/body.ts';
import { sendOutcome } from '../http/outcomes.ts';
import { requireAuth } from '../http/require-auth.ts';
import type { EmulatorServices } from '../services.ts';
import { findLogin, updateLogin } from './logins.ts';

const TIMEZONE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/timezone';

/**
 * `/oauth2/userinfo`, `/oauth2/logout` and `/oauth2/introspect`, as packages/server/src/oauth/userinfo.ts, logout.ts
 * and introspect.ts (all three behind `authenticateRequest`).
 */
export function sessionRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Claims by scope as oauth/userinfo.int.test.ts ("Profile with full resource", "Profile with empty resource", ...)
  // expects them: `sub` is the User (or ClientApplication) id, claims without a value are left out.
  app.on(['GET', 'POST'], '/oauth2/userinfo', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const scopes = new Set((caller.login.scope ?? '').split(' '));
    const profile = (await services.repo
      .readReference(caller.membership.profile as Reference)
      .catch(() => undefined)) as ProfileResource | undefined;
    const user = caller.login.user.reference?.startsWith('User/')
      ? await services.repo.readReference<User>(caller.login.user as Reference<User>).catch(() => undefined)
      : undefined;
    const info: Record<string, unknown> = { sub: caller.login.user.reference?.split('/')[1] };
    if (scopes.has('profile') && profile) Object.assign(info, profileClaims(profile, caller.membership.profile));
    if (scopes.has('email')) Object.assign(info, emailClaims(profile, user));
    if (scopes.has('phone')) {
      const phone = telecom(profile, 'phone');
      if (phone) Object.assign(info, { phone_number: phone, phone_number_verified: false });
    }
    if (scopes.has('address')) {
      const address = profile && 'address' in profile ? profile.address?.[0] : undefined;
      if (address) info.address = addressClaim(address);
    }
    return c.json(info);
  });

  app.on(['GET', 'POST'], '/oauth2/logout', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const login = findLogin(services, caller.login.id);
    if (login) {
      await updateLogin(services, login, { revoked: true });
      const clientId = login.client?.reference?.split('/')[1];
      // As packages/server/src/oauth/logout.ts: the login is revoked and its client's cookie cleared.
      if (clientId) {
        deleteCookie(c, `medplum-${clientId}`, { path: '/', secure: true, sameSite: 'None', httpOnly: true });
      }
    }
    return sendOutcome(c, allOk);
  });

  // As packages/server/src/oauth/introspect.ts; the caller must authenticate (introspect.test.ts "Introspection
  // requires authentication"). Only the issuer-audienced access and refresh tokens can be active, and a refresh token
  // only while it is the login's current one.
  app.post('/oauth2/introspect', requireAuth(services), async (c) => {
    const body = isFormBody(c) ? await readForm(c) : await readJsonObject(c);
    const token = typeof body.token === 'string' ? body.token : '';
    if (!token) return c.text('Token to introspect must be provided', 400);
    let claims: Record<string, unknown>;
    try {
      claims = await services.keys.verify(token, services.baseUrl);
    } catch {
      return c.json({ active: false });
    }
    const login = typeof claims.login_id === 'string' ? findLogin(services, claims.login_id) : undefined;
    const active =
      claims.aud === services.baseUrl &&
      login?.granted === true &&
      !login.revoked &&
      (claims.refresh_secret === undefined ||
        (typeof claims.refresh_secret === 'string' &&
          login.refreshSecret !== undefined &&
          timingSafeEqualStrings(login.refreshSecret, claims.refresh_secret)));
    if (!active) return c.json({ active: false });
    const profile = typeof claims.profile === 'string' ? claims.profile : '';
    return c.json({
      active: true,
      iat: claims.iat,
      exp: claims.exp,
      iss: claims.iss,
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
      patient: profile.startsWith('Patient/') ? profile.slice('Patient/'.length) : undefined,
    });
  });

  return app;
}

function profileClaims(profile: ProfileResource, reference: Reference | undefined): Record<string, unknown> {
  const names = Array.isArray(profile.name) ? (profile.name as HumanName[]) : [];
  const name = names.find((n) => n.use === 'official') ?? names.find((n) => n.use !== 'nickname');
  const nickname = names.find((n) => n.use === 'nickname');
  const email = telecom(profile, 'email');
  const lastUpdated = profile.meta?.lastUpdated ? new Date(profile.meta.lastUpdated).getTime() / 1000 : undefined;
  const zoneinfo = profile.extension?.find((e) => e.url === TIMEZONE_EXTENSION)?.valueCode;
  return {
    profile: reference?.reference ?? `${profile.resourceType}/${profile.id}`,
    locale: 'en-US',
    ...(lastUpdated !== undefined ? { updated_at: lastUpdated } : {}),
    ...(name ? nameClaims(name) : {}),
    ...optional('birthdate', 'birthDate' in profile ? profile.birthDate : undefined),
    ...optional('gender', 'gender' in profile ? profile.gender : undefined),
    ...optional('picture', 'photo' in profile ? profile.photo?.[0]?.url : undefined),
    ...optional('nickname', nickname ? formatHumanName(nickname) : undefined),
    ...optional('website', telecom(profile, 'url')),
    ...optional('preferred_username', email?.split('@')[0]),
    ...optional('zoneinfo', zoneinfo),
  };
}

function nameClaims(name: HumanName): Record<string, unknown> {
  const [given, ...middle] = name.given ?? [];
  return {
    ...optional('name', formatHumanName(name) || undefined),
    ...optional('given_name', given),
    ...optional('middle_name', middle.length ? middle.join(' ') : undefined),
    ...optional('family_name', name.family),
  };
}

/** The User's email, else the profile's (unverified), as packages/server/src/oauth/userinfo.ts buildEmail. */
function emailClaims(profile: ProfileResource | undefined, user: User | undefined): Record<string, unknown> {
  if (user?.email) return { email: user.email, email_verified: Boolean(user.emailVerified) };
  const email = telecom(profile, 'email');
  return email ? { email, email_verified: false } : {};
}

function addressClaim(address: Address): Record<string, unknown> {
  return {
    formatted: formatAddress(address),
    ...optional('street_address', address.line?.length ? address.line.join(', ') : undefined),
    ...optional('locality', address.city),
    ...optional('region', address.state),
    ...optional('postal_code', address.postalCode),
    ...optional('country', address.country),
  };
}

function telecom(profile: ProfileResource | undefined, system: ContactPoint['system']): string | undefined {
  return profile && 'telecom' in profile ? profile.telecom?.find((t) => t.system === system)?.value : undefined;
}

function optional(name: string, value: unknown): Record<string, unknown> {
  return value === undefined || value === '' ? {} : { [name]: value };
}
