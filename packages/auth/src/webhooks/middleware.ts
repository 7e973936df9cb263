import type { MiddlewareHandler } from 'hono';
import type { DeliveryLedger } from './ledger.ts';
import {
  assertVerifierConfigured,
  type RestHookDelivery,
  type RestHookRejection,
  type RestHookVerifyOptions,
  verifyRestHook,
} from './verify.ts';

export interface RestHookMiddlewareOptions extends RestHookVerifyOptions {
  /** When given, a delivery already handled successfully is answered 200 without running the handler again. */
  ledger?: DeliveryLedger;
  /** Larger bodies are refused with 413 before anything else (default 1 MiB). */
  maxBodyBytes?: number;
  /** Called for every refused delivery (for a log line); never given the body or the credentials. */
  onRejected?: (reason: RestHookRejection, status: number) => void;
}

export type RestHookEnv = { Variables: { restHook: RestHookDelivery } };

/**
 * Hono middleware for a rest-hook endpoint. It reads the raw bytes itself, verifies them, and only then exposes the
 * parsed delivery as `c.get('restHook')`; handlers never need to parse (or re-serialise) the body.
 * Refusals are 401 (credentials, signature, freshness) or 400 (unparseable body, delete) with an empty JSON error.
 */
export function restHookVerifier(options: RestHookMiddlewareOptions): MiddlewareHandler<RestHookEnv> {
  assertVerifierConfigured(options);
  const maxBytes = options.maxBodyBytes ?? 1024 * 1024;
  return async (c, next) => {
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > maxBytes) return c.json({ error: 'too-large' }, 413);
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (raw.byteLength > maxBytes) return c.json({ error: 'too-large' }, 413);
    const result = verifyRestHook(raw, c.req.raw.headers, options);
    if (!result.ok) {
      options.onRejected?.(result.reason, result.status);
      if (result.status === 401) c.header('WWW-Authenticate', 'Basic realm="webhooks"');
      return c.json({ error: result.reason }, result.status);
    }
    const { delivery } = result;
    const ledger = options.ledger;
    if (ledger) {
      const state = ledger.begin(delivery.dedupeKey);
      if (state === 'duplicate') return c.json({ duplicate: true }, 200);
      // Not a success: Medplum retries later, by which time the first attempt has finished one way or the other.
      if (state === 'in-flight') return c.json({ error: 'in-flight' }, 409);
    }
    c.set('restHook', delivery);
    try {
      await next();
    } catch (error) {
      ledger?.abort(delivery.dedupeKey);
      throw error;
    }
    if (!ledger) return;
    if (c.res.status >= 200 && c.res.status < 300 && !c.error) ledger.commit(delivery.dedupeKey);
    else ledger.abort(delivery.dedupeKey);
  };
}
