import { allOk } from '@medplum/core';
import type { Practitioner, Reference, User } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-env.ts';
import { isFormBody, readForm, readJsonObject } from '../http/body.ts';
import { sendOutcome } from '../http/outcomes.ts';
import { requireAuth } from '../http/require-auth.ts';
import type { EmulatorServices } from '../services.ts';
import { findLogin, updateLogin } from './logins.ts';

/** `/oauth2/userinfo`, `/oauth2/logout` and `/oauth2/introspect` (medplum-facts §4.5–§4.7). */
export function sessionRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.on(['GET', 'POST'], '/oauth2/userinfo', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const scopes = new Set((caller.login.scope ?? '').split(' '));
    const profile = await services.repo.readReference(caller.membership.profile as Reference).catch(() => undefined);
    const info: Record<string, unknown> = { sub: profile?.id ?? caller.membership.profile?.reference?.split('/')[1] };
    if (scopes.has('profile') && profile) {
      const name = (profile as Practitioner).name?.[0];
      Object.assign(info, {
        profile: caller.membership.profile?.reference,
        name: [name?.given?.join(' '), name?.family].filter(Boolean).join(' '),
        given_name: name?.given?.[0] ?? '',
        family_name: name?.family ?? '',
        middle_name: '',
        locale: 'en-US',
        birthdate: (profile as Practitioner).birthDate ?? '',
        updated_at: profile.meta?.lastUpdated ? Math.floor(new Date(profile.meta.lastUpdated).getTime() / 1000) : 0,
        website: '',
        zoneinfo: '',
        gender: '',
        preferred_username: '',
        picture: '',
        nickname: '',
      });
    }
    if (scopes.has('email')) {
      const user = caller.login.user.reference?.startsWith('User/')
        ? await services.repo.readReference<User>(caller.login.user as Reference<User>).catch(() => undefined)
        : undefined;
      const telecomEmail = (profile as Practitioner | undefined)?.telecom?.find((t) => t.system === 'email')?.value;
      if (user?.email) Object.assign(info, { email: user.email, email_verified: Boolean(user.emailVerified) });
      else if (telecomEmail) Object.assign(info, { email: telecomEmail, email_verified: false });
    }
    return c.json(info);
  });

  app.on(['GET', 'POST'], '/oauth2/logout', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const login = findLogin(services, caller.login.id);
    if (login) {
      await updateLogin(services, login, { revoked: true });
      const clientId = login.client?.reference?.split('/')[1];
      if (clientId) deleteCookie(c, `medplum-${clientId}`, { path: '/', secure: true, sameSite: 'None' });
    }
    return sendOutcome(c, allOk);
  });

  app.post('/oauth2/introspect', async (c) => {
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
    const isRefresh = typeof claims.refresh_secret === 'string';
    const active =
      claims.aud === services.baseUrl &&
      login?.granted === true &&
      !login.revoked &&
      (!isRefresh || claims.refresh_secret === login.refreshSecret);
    if (!active) return c.json({ active: false });
    const profile = typeof claims.profile === 'string' ? claims.profile : '';
    return c.json({
      active: true,
      iat: claims.iat,
      exp: claims.exp,
      iss: claims.iss,
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope ?? login?.scope,
      patient: profile.startsWith('Patient/') ? profile.split('/')[1] : undefined,
    });
  });

  return app;
}
