import { tooManyRequests } from '@medplum/core';
import type { OperationOutcome, Project } from '@medplum/fhirtypes';
import type { Context, MiddlewareHandler } from 'hono';

/*
 * Medplum's request rate limiter, as packages/server/src/ratelimit.ts (rate-limiter-flexible over Redis) mounts it on
 * the whole app (packages/server/src/app.ts: `app.use(rateLimitHandler(config))`, after CORS and the request context):
 *
 * - every request is counted against a fixed one-minute window per client address (`req.ip`), opened by the first
 *   request of the window;
 * - "auth" requests, whose original URL starts with `/auth/` or `/oauth2/` (but not `/api/auth/…`, and not exactly
 *   `/auth/me`), have their own window (key `<ip>:auth`) and limit (default 160), every other request the general one
 *   (default 60,000);
 * - an authenticated request whose Project has the system setting `authRateLimit` / `rateLimit` uses that limit;
 * - every counted response carries `RateLimit: "requests";r=<remaining>;t=<seconds to reset>` (the form
 *   `MedplumClient.rateLimitStatus()` parses); there is no `RateLimit-Policy` header;
 * - past the limit: 429 (as `res.status(429).json(...)`, so `application/json`) with the `too-many-requests`
 *   OperationOutcome whose `issue[0].diagnostics` is the JSON of the limiter's result (its own fields, underscored, as
 *   `{ ...RateLimiterRes }` spreads them) plus `limit`. Rejected requests still count.
 */

const WINDOW_MS = 60_000;

/** Medplum's defaults (packages/server/src/ratelimit.ts). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 60_000;
export const DEFAULT_AUTH_RATE_LIMIT_PER_MINUTE = 160;

export interface RateLimitOptions {
  /** Requests per minute per address on auth URLs. */
  authLimit: number;
  /** Requests per minute per address on every other URL; defaults to Medplum's 60,000. */
  generalLimit?: number;
  clientAddress: (c: Context) => string;
  /**
   * The caller's Project when the request is authenticated (Medplum reads its `systemSetting` `rateLimit` /
   * `authRateLimit`); undefined otherwise. Without it no project override applies.
   */
  callerProject?: (c: Context) => Promise<Project | undefined>;
}

interface Window {
  start: number;
  consumed: number;
}

/** The request's `originalUrl` as Express has it: path and query string. */
function originalUrl(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** As packages/server/src/ratelimit.ts `isAuthRequest`. */
function isAuthRequest(url: string): boolean {
  if (url === '/auth/me') {
    return false;
  }
  return url.startsWith('/auth/') || url.startsWith('/oauth2/');
}

/** The header value as packages/server/src/ratelimit.ts `addRateLimitHeader` writes it. */
function rateLimitHeader(remainingPoints: number, msBeforeNext: number): string {
  return `"requests";r=${remainingPoints};t=${Math.ceil(msBeforeNext / 1000)}`;
}

/**
 * Medplum's rate limiter for every request. Mount it once, before the routes, on the whole app (both `/` and
 * `/api/`), as Medplum does.
 */
export function medplumRateLimit(options: RateLimitOptions): MiddlewareHandler {
  const generalLimit = options.generalLimit ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
  const windows = new Map<string, Window>();

  async function limitFor(c: Context, auth: boolean): Promise<number> {
    let limit = auth ? options.authLimit : generalLimit;
    if (options.callerProject) {
      let project: Project | undefined;
      try {
        project = await options.callerProject(c);
      } catch {
        project = undefined; // an invalid credential is "unauthenticated" here, as in Medplum's request context
      }
      const setting = project?.systemSetting?.find((s) => s.name === (auth ? 'authRateLimit' : 'rateLimit'));
      if (setting?.valueInteger) {
        limit = setting.valueInteger;
      }
    }
    return limit;
  }

  return async (c, next) => {
    const auth = isAuthRequest(originalUrl(c));
    const key = options.clientAddress(c) + (auth ? ':auth' : '');
    const limit = await limitFor(c, auth);
    const now = Date.now();

    let window = windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      // Forget finished windows now and then, so the map stays as small as the set of recent callers.
      if (windows.size > 1000) {
        for (const [k, old] of windows) if (now - old.start >= WINDOW_MS) windows.delete(k);
      }
      window = { start: now, consumed: 0 };
      windows.set(key, window);
    }
    window.consumed += 1;
    const consumed = window.consumed;
    const remaining = Math.max(limit - consumed, 0);
    const msBeforeNext = Math.max(window.start + WINDOW_MS - now, 0);
    const header = rateLimitHeader(remaining, msBeforeNext);

    if (consumed > limit) {
      const outcome: OperationOutcome = structuredClone(tooManyRequests);
      const issue = outcome.issue[0];
      if (issue) {
        issue.diagnostics = JSON.stringify({
          _remainingPoints: remaining,
          _msBeforeNext: msBeforeNext,
          _consumedPoints: consumed,
          _isFirstInDuration: consumed === 1,
          limit,
        });
      }
      return c.body(JSON.stringify(outcome), 429, {
        'Content-Type': 'application/json; charset=utf-8',
        RateLimit: header,
      });
    }

    await next();
    setHeader(c, 'RateLimit', header);
  };
}

function setHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    // A response with immutable headers (passed through from fetch): copy it.
    const copy = new Response(c.res.body, c.res);
    copy.headers.set(name, value);
    c.res = copy;
  }
}
