import type { WithId } from '@medplum/core';
import type { Login } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { isFormBody, readForm } from '../http/body.ts';
import type { EmulatorServices } from '../services.ts';
import { authorizationCode, clientCredentials, preAuthorizedCode, tokenExchange } from './grants.ts';
import { issueTokens } from './logins.ts';
import { serializedRefresh } from './refresh-grant.ts';
import type { Form, TokenEndpoint } from './token-types.ts';
import { TokenError } from './token-types.ts';

export { REFRESH_GRACE_PERIOD_MS } from './refresh-grant.ts';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const PRE_AUTHORIZED_CODE = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

/** `POST /oauth2/token` with Medplum's grants, client authentication methods and exact error bodies. */
export function tokenRoutes(services: EmulatorServices): Hono {
  const app = new Hono();
  const endpoint: TokenEndpoint = { services, refreshQueues: new Map() };

  app.post('/oauth2/token', async (c) => {
    if (!isFormBody(c)) return c.text('Unsupported content type', 400);
    const form = await readForm(c);
    try {
      const login = await grant(endpoint, c, form);
      return c.json(await issueTokens(services, login));
    } catch (error) {
      if (error instanceof TokenError) {
        return c.json({ error: error.error, error_description: error.message }, error.status);
      }
      throw error;
    }
  });

  return app;
}

async function grant(endpoint: TokenEndpoint, c: Context, form: Form): Promise<WithId<Login>> {
  switch (form.grant_type) {
    case undefined:
    case '':
      throw new TokenError('Missing grant_type');
    case 'client_credentials':
      return clientCredentials(endpoint, c, form);
    case 'authorization_code':
      return authorizationCode(endpoint, c, form);
    case 'refresh_token':
      return serializedRefresh(endpoint, c, form);
    case TOKEN_EXCHANGE:
      return tokenExchange(endpoint, c, form);
    case PRE_AUTHORIZED_CODE:
      return preAuthorizedCode(endpoint, form);
    default:
      // jwt-bearer included: Medplum does not support it.
      throw new TokenError('Unsupported grant_type');
  }
}
