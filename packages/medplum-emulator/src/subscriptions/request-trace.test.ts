import { Hono } from 'hono';
import { describe, expect, test } from 'vitest';
import { currentRequestTrace, isTraceparent, requestTrace, traceIdFromHeaders } from './request-trace.ts';

const TRACEPARENT = '00-12345678901234567890123456789012-3456789012345678-01';
const UUID = '4b8f2d3c-9a4e-4f4b-8c1d-2e6f7a8b9c0d';

describe('traceIdFromHeaders', () => {
  const from = (headers: Record<string, string>) => traceIdFromHeaders((name) => headers[name]);

  test('takes a UUID X-Trace-Id, else a valid traceparent, else the Amazon root', () => {
    expect(from({ 'x-trace-id': UUID, traceparent: TRACEPARENT })).toBe(UUID);
    expect(from({ 'x-trace-id': 'not-a-uuid', traceparent: TRACEPARENT })).toBe(TRACEPARENT);
    expect(from({ traceparent: 'garbage', 'x-amzn-trace-id': 'Self=1-a-b;Root=1-67891233-abcdef' })).toBe('1-a-b');
    expect(from({})).toBeUndefined();
  });

  test('recognises W3C traceparents only', () => {
    expect(isTraceparent(TRACEPARENT)).toBe(true);
    expect(isTraceparent('ff-12345678901234567890123456789012-3456789012345678-01')).toBe(false);
    expect(isTraceparent('00-00000000000000000000000000000000-3456789012345678-01')).toBe(false);
    expect(isTraceparent(UUID)).toBe(false);
  });
});

describe('requestTrace', () => {
  test('runs the request inside its trace: the given trace id, a fresh request id', async () => {
    const app = new Hono();
    app.use('*', requestTrace());
    app.get('/', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return c.json(currentRequestTrace() ?? null);
    });
    const first = (await (await app.request('/', { headers: { traceparent: TRACEPARENT } })).json()) as {
      requestId: string;
      traceId: string;
    };
    expect(first.traceId).toBe(TRACEPARENT);
    const second = (await (await app.request('/')).json()) as { requestId: string; traceId: string };
    expect(second.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.requestId).not.toBe(first.requestId);
    expect(currentRequestTrace()).toBeUndefined();
  });
});
