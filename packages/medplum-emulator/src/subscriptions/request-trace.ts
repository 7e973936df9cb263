import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { isUUID } from '@medplum/core';
import type { MiddlewareHandler } from 'hono';

/**
 * The request and trace ids of the request being served, as Medplum's request context holds them
 * (packages/server/src/context.ts `requestIds`): a fresh request id, and the trace id from `X-Trace-Id` (a UUID),
 * else `traceparent` (W3C form), else the `Root`/`Self` of `X-Amzn-Trace-Id`, else a fresh UUID. A subscription job
 * carries both to its webhook (`x-trace-id`, and `traceparent` when the trace id is one) and to its AuditEvents
 * (the `tracing` extension).
 */
export interface RequestTrace {
  requestId: string;
  traceId: string;
}

const storage = new AsyncLocalStorage<RequestTrace>();

/** Mount once on the whole app, before the routes: runs the rest of the request inside its trace. */
export function requestTrace(): MiddlewareHandler {
  return (c, next) => {
    const trace: RequestTrace = {
      requestId: randomUUID(),
      traceId: traceIdFromHeaders((name) => c.req.header(name)) ?? randomUUID(),
    };
    return storage.run(trace, () => next());
  };
}

/** The trace of the request whose handling is on the stack, if it runs inside `requestTrace()`. */
export function currentRequestTrace(): RequestTrace | undefined {
  return storage.getStore();
}

/** As packages/server/src/context.ts `getTraceId`. */
export function traceIdFromHeaders(header: (name: string) => string | undefined): string | undefined {
  const xTraceId = header('x-trace-id');
  if (xTraceId && isUUID(xTraceId)) {
    return xTraceId;
  }
  const traceparent = header('traceparent');
  if (traceparent && isTraceparent(traceparent)) {
    return traceparent;
  }
  const amazon = header('x-amzn-trace-id');
  if (amazon) {
    return /(?:Root|Self)=([^;]+)/.exec(amazon)?.[1];
  }
  return undefined;
}

/** A W3C `traceparent`: version-traceid-parentid-flags in lowercase hex, ids not all zeros, version not `ff`. */
export function isTraceparent(value: string): boolean {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
  if (!match) return false;
  const [, version, traceId, parentId] = match;
  return version !== 'ff' && !/^0+$/.test(traceId as string) && !/^0+$/.test(parentId as string);
}
