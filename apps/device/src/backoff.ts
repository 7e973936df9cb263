/**
 * Exponential back-off with jitter: attempt n waits between half and all of min(max, base * 2^(n-1)), so a fleet of
 * devices that lost Medplum at the same moment does not come back at the same moment ("equal jitter").
 */
export interface BackoffOptions {
  /** First wait (ms). Default 500. */
  baseMs?: number;
  /** Longest wait (ms). Default 30 s. */
  maxMs?: number;
  /** In [0, 1); tests pass a fixed value. */
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
