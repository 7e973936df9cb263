import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DeliveryLedger } from './ledger.ts';
import {
  assertVerifierConfigured,
  checkBasicCredentials,
  type RestHookDelivery,
  type RestHookRejection,
  type RestHookVerifyOptions,
  verifyRestHook,
} from './verify.ts';

export interface RestHookMiddlewareOptions extends RestHookVerifyOptions {
  /** When given, a delivery already handled successfully is answered 200 without running the handler again. */
  ledger?: DeliveryLedger;
  /**
   * Larger bodies are refused with 413 (default 1 MiB): at once when `Content-Length` says so, otherwise as soon as
   * the streamed body passes the limit, so no more than this is ever held in memory.
   */
  maxBodyBytes?: number;
  /** Called for every refused delivery (for a log line); never given the body or the credentials. */
  onRejected?: (reason: RestHookRejection, status: number) => void;
}

export type RestHookEnv = { Variables: { restHook: RestHookDelivery } };

/**
 * Hono middleware for a rest-hook endpoint. Order is fixed, cheapest refusal first: Basic credentials (headers only,
 * before a byte of the body is read), then the size limit while the body streams in, then `X-Signature` over the raw
 * bytes, and only then is the body parsed and exposed as `c.get('restHook')`; handlers never parse or re-serialise it.
 * Refusals are 401 (credentials, signature, freshness), 413 (size) or 400 (unparseable body, delete), each with a small
 * JSON error.
 */
export function restHookVerifier(options: RestHookMiddlewareOptions): MiddlewareHandler<RestHookEnv> {
  assertVerifierConfigured(options);
  const refuse = (c: Context, reason: RestHookRejection, status: 400 | 401) => {
    options.onRejected?.(reason, status);
    if (status === 401) c.header('WWW-Authenticate', 'Basic realm="webhooks"');
    return c.json({ error: reason }, status);
  };
  const limitBody = bodyLimit({
    maxSize: options.maxBodyBytes ?? 1024 * 1024,
    onError: (c) => c.json({ error: 'too-large' }, 413),
  });

  return async (c, next) => {
    if (options.basic) {
      const credentials = checkBasicCredentials(c.req.header('authorization'), options.basic);
      if (credentials !== 'ok') return refuse(c, credentials, 401);
    }
    return limitBody(c, async () => {
      // verifyRestHook checks the credentials again (one more constant-time compare): it is the whole check on its own.
      const result = verifyRestHook(new Uint8Array(await c.req.arrayBuffer()), c.req.raw.headers, options);
      if (!result.ok) {
        c.res = refuse(c, result.reason, result.status);
        return;
      }
      await handleVerified(c as Context<RestHookEnv>, result.delivery, options.ledger, next);
    });
  };
}

async function handleVerified(
  c: Context<RestHookEnv>,
  delivery: RestHookDelivery,
  ledger: DeliveryLedger | undefined,
  next: () => Promise<void>
): Promise<void> {
  if (ledger) {
    const state = ledger.begin(delivery.dedupeKey);
    if (state !== 'new') {
      // A duplicate is answered as the first delivery was. In flight is not a success: Medplum retries later, by
      // which time the first attempt has finished one way or the other.
      c.res = state === 'duplicate' ? c.json({ duplicate: true }, 200) : c.json({ error: 'in-flight' }, 409);
      return;
    }
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
}
