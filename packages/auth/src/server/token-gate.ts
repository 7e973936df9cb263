import { type MedplumClient, parseJWTPayload } from '@medplum/core';
import type { CredentialStrategy } from './credentials.ts';

/**
 * Watches the requests to the token endpoint that go through `fetch`: how many were made, and whether the last one
 * was answered 429 (the gate then waits before asking again).
 */
export function watchTokenRequests(tokenUrl: string, baseFetch: typeof fetch) {
  let count = 0;
  let throttled = false;
  const fetchWatched: typeof fetch = async (input, init) => {
    const isTokenRequest = requestUrl(input) === tokenUrl;
    if (isTokenRequest) count++;
    const response = await baseFetch(input, init);
    if (isTokenRequest && response.status === 429) throttled = true;
    return response;
  };
  return {
    fetch: fetchWatched,
    count: () => count,
    /** Whether a token request was answered 429 since `reset` (called before each new attempt). */
    throttled: {
      get: () => throttled,
      reset: () => {
        throttled = false;
      },
    },
  };
}

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.toString();
  return input.url;
}

export interface TokenGateOptions {
  medplum: MedplumClient;
  strategy: CredentialStrategy;
  tokenUrl: string;
  throttled: { get(): boolean; reset(): void };
  refreshSkewMs: number;
  backoff: { initialMs: number; maxMs: number };
  log: (line: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * When to ask for a new token: at most one request in flight (concurrent callers share it), renewed ahead of expiry,
 * and after a 429 from the token endpoint not again before an exponentially growing wait.
 */
export function createTokenGate(options: TokenGateOptions) {
  const { medplum, strategy, tokenUrl, throttled, log, now } = options;
  let applied = false;
  let inflight: Promise<void> | undefined;
  let notBefore = 0;
  let failures = 0;
  const expiry = tokenExpiry(medplum);

  async function attempt(): Promise<void> {
    const wait = notBefore - now();
    if (wait > 0) {
      log(`${strategy.method}: token endpoint throttled, waiting ${wait} ms before asking again`);
      await options.sleep(wait);
    }
    throttled.reset();
    try {
      await strategy.apply(medplum, { tokenUrl });
      applied = true;
      failures = 0;
      notBefore = 0;
      if (strategy.usesTokens) {
        const exp = expiry.expiresAt();
        log(`${strategy.method}: new access token${exp ? `, expires ${new Date(exp).toISOString()}` : ''}`);
      } else {
        log(strategy.describe());
      }
    } catch (error) {
      if (throttled.get()) {
        failures++;
        notBefore = now() + Math.min(options.backoff.maxMs, options.backoff.initialMs * 2 ** (failures - 1));
      }
      throw error;
    }
  }

  function login(): Promise<void> {
    inflight ??= attempt().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function ensureAccess(): Promise<void> {
    if (!strategy.usesTokens) {
      if (!applied) await login();
      return;
    }
    const exp = expiry.expiresAt();
    // Short-lived tokens (tests, strict deployments) renew in their last quarter rather than on every call.
    const lifetime = expiry.lifetime();
    const margin = lifetime !== undefined ? Math.min(options.refreshSkewMs, lifetime / 4) : options.refreshSkewMs;
    if (exp !== undefined && now() < exp - margin) return;
    await login();
  }

  return { login, ensureAccess, tokenExpiresAt: expiry.expiresAt };
}

/** Expiry and lifetime of the client's current access token, parsed once per token. */
function tokenExpiry(medplum: MedplumClient) {
  let cachedToken: string | undefined;
  let cachedExpiry: number | undefined;
  let cachedLifetime: number | undefined;
  function read(): void {
    const token = medplum.getAccessToken();
    if (!token || token === cachedToken) return;
    cachedToken = token;
    try {
      const { exp, iat } = parseJWTPayload(token);
      cachedExpiry = typeof exp === 'number' ? exp * 1000 : undefined;
      cachedLifetime = typeof exp === 'number' && typeof iat === 'number' ? (exp - iat) * 1000 : undefined;
    } catch {
      cachedExpiry = undefined;
      cachedLifetime = undefined;
    }
  }
  return {
    expiresAt(): number | undefined {
      if (!medplum.getAccessToken()) return undefined;
      read();
      return cachedExpiry;
    },
    lifetime(): number | undefined {
      return cachedLifetime;
    },
  };
}
