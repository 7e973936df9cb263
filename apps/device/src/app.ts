import { getConnInfo } from '@hono/node-server/conninfo';
import { type RestHookEnv, restHookVerifier } from '@org/auth/webhooks';
import { isLoopback } from '@org/config';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { Device } from './device.ts';
import { renderStatusPage } from './status-page.ts';

export const WEBHOOK_PATH = '/webhooks/medplum';
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * The status page and `/status.json` are for someone at the analyzer, not for the network: they answer only requests
 * from this machine, even when DEVICE_LISTEN_HOST opens the port so that a remote Medplum can deliver webhooks.
 */
function fromThisMachine(peerAddress: (c: Context) => string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const address = peerAddress(c);
    if (!address || !isLoopback(address.replace(/^::ffff:/, ''))) return c.json({ error: 'not found' }, 404);
    await next();
  };
}

function socketPeer(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // not served over a socket: refuse
  }
}

/**
 * Everything the device serves on DEVICE_WEBHOOK_PORT: the webhook inbox (verified by @org/auth/webhooks before the
 * body is even parsed), the JWKS Medplum checks private_key_jwt assertions against, and a small status page.
 * Builds the app only; `server.ts` listens.
 */
export function createApp(
  device: Device,
  options: { peerAddress?: (c: Context) => string | undefined } = {}
): Hono<RestHookEnv> {
  const { config } = device;
  const app = new Hono<RestHookEnv>();

  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', c.res.headers.get('Cache-Control') ?? 'no-store');
  });

  app.post(
    WEBHOOK_PATH,
    restHookVerifier({
      basic: { username: config.DEVICE_WEBHOOK_USERNAME, password: config.DEVICE_WEBHOOK_PASSWORD },
      secret: config.DEVICE_WEBHOOK_SECRET,
      ledger: device.ledger,
      maxAgeMs: device.webhookMaxAgeMs,
      onRejected: (reason, status) => device.webhookRefused(reason, status),
    }),
    async (c) => {
      const delivery = c.get('restHook');
      const result = await device.receiveDelivery(delivery.resource, delivery.dedupeKey);
      // 503 only when the order could not be checked with Medplum: the ledger forgets the delivery, Medplum retries.
      // Otherwise 200: the results are on disk (or the order can never be run), and a retry would change nothing.
      return c.json(result, result.outcome === 'unavailable' ? 503 : 200);
    }
  );
  // The ledger answers redeliveries of a handled delivery itself (200 `{duplicate: true}`); say so in the log too.
  app.onError((error, c) => {
    device.log('http', `error on ${c.req.method} ${c.req.path}: ${error.message}`);
    return c.json({ error: 'internal error' }, 500);
  });

  app.get(JWKS_PATH, async (c) => {
    const keys = device.client.keys;
    if (!keys) {
      return c.json(
        { error: `this device does not sign client assertions (DEVICE_AUTH_METHOD=${config.DEVICE_AUTH_METHOD})` },
        404
      );
    }
    // As the key file holds it now (a key rotation shows at once). `no-cache`: Medplum fetches the JWKS afresh for
    // every assertion anyway (packages/server/src/oauth/token.ts, parseClientAssertion); a cache between it and the
    // device holding the set for minutes would refuse the new kid the device signs with right after a rotation.
    c.header('Cache-Control', 'no-cache');
    return c.json(await keys.jwks());
  });

  const local = fromThisMachine(options.peerAddress ?? socketPeer);
  app.get('/status.json', local, (c) => c.json(device.status()));
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/', local, (c) => c.html(renderStatusPage(device.status())));

  return app;
}
