import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/**
 * Medplum's `req.ip` under Express's `trust proxy: 1` (packages/server/src/app.ts): one proxy hop is trusted, so the
 * client is the last entry of `X-Forwarded-For` when the header is present, else the socket's remote address.
 */
export function clientAddress(c: Context): string {
  const forwarded = c.req.header('x-forwarded-for');
  if (forwarded !== undefined) {
    const hops = forwarded
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    const last = hops[hops.length - 1];
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in unit tests has no socket.
    return 'unknown';
  }
}
