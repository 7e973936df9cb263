import type { MiddlewareHandler } from 'hono';
import { authenticateRequest } from '../access/authenticate.ts';
import type { EmulatorServices } from '../services.ts';
import type { AppEnv } from './app-env.ts';
import { sendUnauthorized } from './outcomes.ts';

/**
 * Medplum's `authenticateRequest` (packages/server/src/oauth/middleware.ts): Bearer or Basic, else 401 with a
 * `WWW-Authenticate` challenge (see `sendUnauthorized`).
 */
export function requireAuth(services: EmulatorServices): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const caller = await authenticateRequest(services, c.req.raw);
    if (!caller) {
      return sendUnauthorized(c, services.baseUrl);
    }
    c.set('caller', caller);
    await next();
  };
}
