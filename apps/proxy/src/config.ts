import { composeSchemas, medplumSchema, proxySchema } from '@org/config';

/** Everything the proxy reads from the environment: the Medplum connection plus its own settings. */
export const proxyConfigSchema = composeSchemas(medplumSchema, proxySchema);

export type ProxyConfig = Readonly<ReturnType<typeof proxyConfigSchema.parse>>;

/** Settings that are not environment variables: limits and lifetimes, overridable by tests and embedders. */
export interface ProxySettings {
  /** A session ends after this long without a request (default 15 min). */
  sessionIdleMs: number;
  /** A session ends this long after sign-in, whatever happens (default 8 h). */
  sessionAbsoluteMs: number;
  /** Requests one session may make per window (default 300 per minute). */
  rateLimitPerSession: number;
  /** Requests one user may make per window over all their sessions (default 600 per minute): signing in again gives no new budget. */
  rateLimitPerUser: number;
  /** Requests one client address may make per window over all sessions (default 1200 per minute). */
  rateLimitPerAddress: number;
  rateLimitWindowMs: number;
  /** Live sessions per user; a new sign-in ends the oldest beyond this (default 5). */
  maxSessionsPerUser: number;
  /** Failed sign-ins per user name from one client address per window before 429 (default 5 per 15 min). */
  signInFailuresPerWindow: number;
  /** Sign-in attempts per client address per window, any user (default 30 per 15 min). */
  signInAttemptsPerAddress: number;
  signInWindowMs: number;
  /** Password checks (scrypt) at once; more sign-ins get 503 at once (default 4). */
  maxConcurrentSignIns: number;
  /** Largest request body accepted on the API (default 16 KiB). */
  maxBodyBytes: number;
  /** scrypt cost (N) for the legacy users' password hashes (default 2^15; tests lower it). */
  passwordCost: number;
}

export const DEFAULT_SETTINGS: ProxySettings = {
  sessionIdleMs: 15 * 60_000,
  sessionAbsoluteMs: 8 * 60 * 60_000,
  rateLimitPerSession: 300,
  rateLimitPerUser: 600,
  rateLimitPerAddress: 1200,
  rateLimitWindowMs: 60_000,
  maxSessionsPerUser: 5,
  signInFailuresPerWindow: 5,
  signInAttemptsPerAddress: 30,
  signInWindowMs: 15 * 60_000,
  maxConcurrentSignIns: 4,
  maxBodyBytes: 16 * 1024,
  passwordCost: 2 ** 15,
};

/** Where the app is served from, and what that means for cookies and CSRF. */
export interface PublicSite {
  /** Origin of PROXY_PUBLIC_URL: the only `Origin` accepted on state-changing requests. */
  origin: string;
  /** True when PROXY_PUBLIC_URL is https: cookies get `Secure` and the `__Host-` prefix, HSTS is sent. */
  https: boolean;
}

export function publicSite(config: Pick<ProxyConfig, 'PROXY_PUBLIC_URL'>): PublicSite {
  const url = new URL(config.PROXY_PUBLIC_URL);
  return { origin: url.origin, https: url.protocol === 'https:' };
}
