import { notFound } from '@medplum/core';
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { fhirRoutes } from './fhir/routes.ts';
import type { AppEnv } from './http/app-env.ts';
import { clientAddress } from './http/client-address.ts';
import { medplumCors } from './http/cors.ts';
import { sendError, sendOutcome } from './http/outcomes.ts';
import { authRateLimit } from './http/rate-limit.ts';
import { authorizeRoutes } from './oauth/authorize.ts';
import { sessionRoutes } from './oauth/session-routes.ts';
import { tokenRoutes } from './oauth/token.ts';
import type { EmulatorServices } from './services.ts';
import { wellKnownRoutes } from './wellknown.ts';

/**
 * The emulator's HTTP surface, built apart from listening (tests may call `app.request()`). Like Medplum, every route
 * is served both at `/` and under `/api/`.
 */
export function createEmulatorApp(services: EmulatorServices): Hono {
  const routes = new Hono<AppEnv>();
  const rateLimit = authRateLimit(services.authRateLimit, clientAddress);
  routes.use('/auth/*', rateLimit);
  routes.use('/oauth2/*', rateLimit);
  routes.route('/', wellKnownRoutes(services));
  routes.route('/', tokenRoutes(services));
  routes.route('/', authorizeRoutes(services));
  routes.route('/', sessionRoutes(services));
  routes.route('/', authRoutes(services));
  routes.route('/', fhirRoutes(services));
  routes.route('/', adminRoutes(services));
  routes.get('/healthcheck', (c) => c.json({ ok: true }));

  const app = new Hono();
  app.use('*', medplumCors(services.allowedOrigins));
  app.route('/api', routes);
  app.route('/', routes);
  app.notFound((c) => sendOutcome(c, notFound));
  app.onError((error, c) => sendError(c, error, services.log));
  return app;
}
