/**
 * The legacy clinic app's backend-for-frontend: `createApp(config)` builds it, `server.ts` only listens. Tests call
 * `app.request()` in process. Small parts, joined in the order the request meets them (registration order matters
 * in Hono):
 *
 *   access log + request id → security headers → health and static assets (routes/health.ts) → session from the
 *   cookie (middleware/session.ts) → /api (routes/api.ts: CSRF, body limit, sign-in/out, session + budgets,
 *   allowlisted FHIR) → pages (routes/pages.ts: session + budgets, then the pages)
 */
import { Hono } from 'hono';
import type { ProxyConfig } from './config.ts';
import { type AppDeps, type AppEnv, createProxyContext } from './context.ts';
import { accessLog, errorHandler } from './middleware/access-log.ts';
import { sessionFromCookie } from './middleware/session.ts';
import { apiRoutes } from './routes/api.ts';
import { healthRoutes } from './routes/health.ts';
import { pageRoutes } from './routes/pages.ts';
import { securityHeaders } from './security/headers.ts';

export type { AppDeps, AppEnv } from './context.ts';

export function createApp(config: ProxyConfig, deps: AppDeps = {}): Hono<AppEnv> {
  const ctx = createProxyContext(config, deps);
  const app = new Hono<AppEnv>();
  app.use('*', accessLog(ctx.log));
  app.onError(errorHandler(ctx.log));
  app.use('*', securityHeaders(ctx.site.https));
  app.route('/', healthRoutes(ctx));
  app.use('*', sessionFromCookie(ctx));
  app.route('/api', apiRoutes(ctx));
  app.route('/', pageRoutes(ctx));
  app.notFound((c) => c.text('Not found', 404));
  return app;
}
