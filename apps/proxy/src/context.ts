import { getConnInfo } from '@hono/node-server/conninfo';
import { clientCredentials, createServiceClient, type ServiceClient } from '@org/auth/server';
import type { Context } from 'hono';
import type { TimingVariables } from 'hono/timing';
import { DEFAULT_SETTINGS, type ProxyConfig, type ProxySettings, type PublicSite, publicSite } from './config.ts';
import { type Logger, proxyLogger } from './log.ts';
import { createSignInGuard } from './security/sign-in-guard.ts';
import { type CookieCodec, createCookieCodec, type SessionCookieSpec, sessionCookieSpec } from './session/cookie.ts';
import type { Session, SessionStore } from './session/store.ts';
import { memoryStore, type ProxyStore } from './store/store.ts';
import { createUserStore, devUsers, type LegacyUser, type UserSeed, type UserStore } from './users/store.ts';

/** What `createApp` takes besides the configuration; every field has a production default. */
export interface AppDeps {
  /** The Medplum service client; by default one is made from the config (client credentials). */
  medplum?: ServiceClient;
  /** fetch of the default service client (tests count token requests with it). */
  fetch?: typeof fetch;
  /** The legacy app's users; default: the seeded dev users. */
  users?: readonly UserSeed[];
  settings?: Partial<ProxySettings>;
  logger?: Logger;
  /** Clock of sessions, rate limits and token expiry. */
  now?: () => number;
  /**
   * The client's address, for per-address limits. Default: the TCP peer. Behind a load balancer, return the address
   * it reports (e.g. the last hop it appends to X-Forwarded-For) — never a header the client itself can set.
   */
  clientAddress?: (c: Context) => string;
  /**
   * Where sessions, budgets and sign-in counters live. Default: memory (one instance). `start.ts` passes the Redis
   * store when PROXY_SESSION_STORE_URL is set, connected before the first request.
   */
  store?: ProxyStore;
}

/** Per-request values the middleware hands on (Hono's context variables). */
export type AppEnv = {
  Variables: TimingVariables & {
    requestId: string;
    session: Session | undefined;
    user: LegacyUser | undefined;
    /** Seconds to wait when the session's request budgets are spent (counted when the session was opened), else 0. */
    budgetWait: number;
    /** For the access log. */
    reason: string | undefined;
    upstream: number | string | undefined;
  };
};

/** Everything the proxy's middleware and routes share, built once per app. */
export interface ProxyContext {
  config: ProxyConfig;
  settings: ProxySettings;
  now: () => number;
  log: Logger;
  site: PublicSite;
  medplum: ServiceClient;
  users: Promise<UserStore>;
  store: ProxyStore;
  sessions: SessionStore;
  codec: CookieCodec;
  cookie: SessionCookieSpec;
  clientAddress: (c: Context) => string;
  signInGuard: ReturnType<typeof createSignInGuard>;
}

function socketAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server (in-process tests)
  }
}

export function createProxyContext(config: ProxyConfig, deps: AppDeps = {}): ProxyContext {
  const settings: ProxySettings = { ...DEFAULT_SETTINGS, ...deps.settings };
  const now = deps.now ?? (() => Date.now());
  const log = deps.logger ?? proxyLogger();
  const site = publicSite(config);
  const medplum =
    deps.medplum ??
    createServiceClient({
      baseUrl: config.MEDPLUM_BASE_URL,
      credentials: clientCredentials({
        clientId: config.PROXY_MEDPLUM_CLIENT_ID,
        clientSecret: config.PROXY_MEDPLUM_CLIENT_SECRET,
      }),
      now,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      log: (line) => log({ level: 'info', msg: line }),
    });
  const store = deps.store ?? memoryStore();
  const counter = (name: string, limit: number, windowMs: number) => store.rateLimiter(name, limit, windowMs, now);
  return {
    config,
    settings,
    now,
    log,
    site,
    medplum,
    users: createUserStore(deps.users ?? devUsers(config), settings.passwordCost),
    store,
    sessions: store.sessions(
      {
        idleMs: settings.sessionIdleMs,
        absoluteMs: settings.sessionAbsoluteMs,
        maxPerUser: settings.maxSessionsPerUser,
      },
      // Per session, per user over all their sessions (signing in again gives no fresh budget), per client address.
      {
        perSession: settings.rateLimitPerSession,
        perUser: settings.rateLimitPerUser,
        perAddress: settings.rateLimitPerAddress,
        windowMs: settings.rateLimitWindowMs,
      },
      now
    ),
    codec: createCookieCodec(config.PROXY_SESSION_SECRET),
    cookie: sessionCookieSpec(site),
    clientAddress: deps.clientAddress ?? socketAddress,
    signInGuard: createSignInGuard(
      {
        failuresPerUserAndAddress: settings.signInFailuresPerWindow,
        attemptsPerAddress: settings.signInAttemptsPerAddress,
        windowMs: settings.signInWindowMs,
        maxConcurrentChecks: settings.maxConcurrentSignIns,
      },
      {
        perAddress: counter('sign-in-address', settings.signInAttemptsPerAddress, settings.signInWindowMs),
        perUserAndAddress: counter('sign-in-failures', settings.signInFailuresPerWindow, settings.signInWindowMs),
      }
    ),
  };
}
