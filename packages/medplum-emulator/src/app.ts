import { notFound } from '@medplum/core';
import type { Project } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import { authenticateRequest } from './access/authenticate.ts';
import { adminRoutes } from './admin/routes.ts';
import { rotateSecretRoutes } from './fhir/operations/rotate-secret.ts';
import { fhirRoutes } from './fhir/routes.ts';
import type { AppEnv } from './http/app-env.ts';
import { clientAddress } from './http/client-address.ts';
import { medplumCors } from './http/cors.ts';
import { sendError, sendOutcome } from './http/outcomes.ts';
import { medplumRateLimit } from './http/rate-limit.ts';
import { standardHeaders } from './http/standard-headers.ts';
import { authRoutes } from './login/routes.ts';
import { authorizeRoutes } from './oauth/authorize.ts';
import { sessionRoutes } from './oauth/session-routes.ts';
import { tokenRoutes } from './oauth/token.ts';
import type { EmulatorServices } from './services.ts';
import { requestTrace } from './subscriptions/index.ts';
import { wellKnownRoutes } from './wellknown.ts';

/**
 * The emulator's HTTP surface, built apart from listening (tests may call `app.request()`). Like Medplum
 * (packages/server/src/app.ts), every route is served both at `/` and under `/api/`, and every request first passes
 * the standard headers, CORS, the request's trace context and the rate limiter, in that order.
 */
export function createEmulatorApp(services: EmulatorServices): Hono {
  // Express (Medplum) matches routes with or without a trailing slash: `/api/` is the API root, as `/api` is.
  const routes = new Hono<AppEnv>({ strict: false });
  routes.get('/', (c) => c.text('OK'));
  routes.route('/', wellKnownRoutes(services));
  routes.route('/', tokenRoutes(services));
  routes.route('/', authorizeRoutes(services));
  routes.route('/', sessionRoutes(services));
  routes.route('/', authRoutes(services));
  // Before the generic FHIR routes: an operation FhirRouter does not know.
  routes.route('/', rotateSecretRoutes(services));
  routes.route('/', fhirRoutes(services));
  routes.route('/', adminRoutes(services));
  routes.get('/healthcheck', (c) => c.json({ ok: true }));

  const app = new Hono({ strict: false });
  // Outermost: whatever a request changed is on disk before its response leaves (one sync per request).
  app.use('*', async (_c, next) => {
    await next();
    services.flushWrites();
  });
  app.use('*', standardHeaders(services.baseUrl));
  app.use('*', medplumCors(services.allowedOrigins));
  app.use('*', requestTrace());
  app.use(
    '*',
    medplumRateLimit({
      authLimit: services.authRateLimit,
      generalLimit: services.rateLimit,
      clientAddress,
      // A project's `rateLimit` / `authRateLimit` system setting applies to its authenticated callers.
      callerProject: async (c) => {
        const caller = await authenticateRequest(services, c.req.raw);
        return caller?.projectId ? services.repo.readResource<Project>('Project', caller.projectId) : undefined;
      },
    })
  );
  app.route('/api', routes);
  app.route('/', routes);
  app.notFound((c) => sendOutcome(c, notFound));
  app.onError((error, c) => sendError(c, error, services.log));
  return app;
}
