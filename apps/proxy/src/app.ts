/**
 * The legacy clinic app's backend-for-frontend: `createApp(config)` builds it, `server.ts` only listens. Tests call
 * `app.request()` in process. Small parts, joined in the order the request meets them (registration order matters
 * in Hono):
 *
 *   access log + request id → security headers → Server-Timing → health and static assets (routes/health.ts) → session from the
 *   cookie (middleware/session.ts) → /api (routes/api.ts: CSRF, body limit, sign-in/out, session + budgets,
 *   allowlisted FHIR) → pages (routes/pages.ts: session + budgets, then the pages)
 */
import { Hono } from 'hono';
import { timing } from 'hono/timing';
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
  // `Server-Timing: session, upstream, total` on proxied calls, so anyone can see where the time goes (browser devtools).
  app.use('*', timing({ enabled: (c) => c.req.path.startsWith('/api/fhir/') }));
  app.route('/', healthRoutes(ctx));
  app.use('*', sessionFromCookie(ctx));
  app.route('/api', apiRoutes(ctx));
  app.route('/', pageRoutes(ctx));
  app.notFound((c) => c.text('Not found', 404));
  return app;
}
