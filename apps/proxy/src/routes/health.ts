import { Hono } from 'hono';
import type { AppEnv, ProxyContext } from '../context.ts';
import { APP_CSS, APP_JS } from '../pages/assets.ts';

/** Liveness, readiness (the session store answers and a Medplum token can be had) and the pages' static script and stylesheet: no session needed. */
export function healthRoutes(ctx: ProxyContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await ctx.store.ping();
    } catch {
      c.set('reason', 'session-store-unavailable');
      return c.json({ status: 'unavailable', reason: 'session store unreachable' }, 503);
    }
    try {
      await withTimeout(ctx.medplum.ready(), 5_000);
      return c.json({ status: 'ready' });
    } catch (error) {
      c.set('reason', `token-unavailable:${error instanceof Error ? error.name : 'error'}`);
      return c.json({ status: 'unavailable' }, 503);
    }
  });
  app.get('/assets/app.js', (c) => c.body(APP_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/assets/app.css', (c) => c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
