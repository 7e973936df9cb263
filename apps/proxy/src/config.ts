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
  rateLimitWindowMs: number;
  /** Failed sign-ins per user name per window before 429 (default 5 per 15 min). */
  signInFailuresPerWindow: number;
  signInWindowMs: number;
  /** Largest request body accepted on the API (default 16 KiB). */
  maxBodyBytes: number;
  /** scrypt cost (N) for the legacy users' password hashes (default 2^15; tests lower it). */
  passwordCost: number;
}

export const DEFAULT_SETTINGS: ProxySettings = {
  sessionIdleMs: 15 * 60_000,
  sessionAbsoluteMs: 8 * 60 * 60_000,
  rateLimitPerSession: 300,
  rateLimitWindowMs: 60_000,
  signInFailuresPerWindow: 5,
  signInWindowMs: 15 * 60_000,
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
