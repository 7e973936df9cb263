import type { RateLimiter } from './rate-limit.ts';

export interface SignInGuardSettings {
  /** Failed sign-ins per user name *from one client address* per window before 429 (default 5 per 15 min). */
  failuresPerUserAndAddress: number;
  /** Sign-in attempts (any user, right or wrong) per client address per window before 429 (default 30). */
  attemptsPerAddress: number;
  windowMs: number;
  /** Password checks (scrypt) running at once; more attempts get 503 at once instead of queueing CPU work. */
  maxConcurrentChecks: number;
}

export type SignInRefusal = {
  ok: false;
  status: 429 | 503;
  retryAfterSeconds: number;
  reason: 'sign-in-throttled' | 'sign-in-throttled-address' | 'sign-in-busy';
};

export type SignInAttempt = {
  ok: true;
  /** Ends the attempt: a correct password clears the user's failures from this address, a wrong one keeps them. */
  finish(succeeded: boolean): Promise<void>;
};

/**
 * Brute-force protection for the proxy's own sign-in. Every limit is taken *before* the password is hashed, so a burst
 * of concurrent guesses cannot all slip past a counter that would only move after each expensive check:
 *
 * - per client address, every attempt counts (password spraying over many user names);
 * - per user name *and* client address, each attempt counts as a failure up front and a correct password clears it.
 *   Lock-out is per user + address on purpose: someone guessing a user's password locks out only themselves, never the
 *   user signing in from their own machine (a global per-user lock-out would hand any attacker a denial of service);
 * - at most `maxConcurrentChecks` scrypt runs at once, so sign-in floods cannot take the CPU from everyone else.
 *
 * The two counters live in the shared store (every instance counts against the same budget); the concurrency cap is
 * per instance on purpose, since it protects this process's CPU.
 */
export function createSignInGuard(
  settings: SignInGuardSettings,
  counters: { perAddress: RateLimiter; perUserAndAddress: RateLimiter }
) {
  const { perAddress, perUserAndAddress } = counters;
  let checking = 0;

  return {
    async begin(username: string, address: string): Promise<SignInAttempt | SignInRefusal> {
      const addressWait = await perAddress.hit(address);
      if (addressWait) return refusal(429, addressWait, 'sign-in-throttled-address');
      const key = `${username.trim().toLowerCase()}\u0000${address}`;
      const userWait = await perUserAndAddress.hit(key);
      if (userWait) return refusal(429, userWait, 'sign-in-throttled');
      if (checking >= settings.maxConcurrentChecks) return refusal(503, 1, 'sign-in-busy');
      checking += 1;
      let finished = false;
      return {
        ok: true,
        async finish(succeeded) {
          if (finished) return;
          finished = true;
          checking -= 1;
          if (succeeded) await perUserAndAddress.reset(key);
        },
      };
    },
    /** Password checks running now (for tests and metrics). */
    checksInFlight: () => checking,
  };
}

function refusal(status: 429 | 503, retryAfterSeconds: number, reason: SignInRefusal['reason']): SignInRefusal {
  return { ok: false, status, retryAfterSeconds, reason };
}
