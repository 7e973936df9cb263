/** What the proxy's benches share: timing one call, percentiles, and alternating calls so load hits every side alike. */
export interface Stats {
  p50: number;
  p95: number;
  mean: number;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length,
  };
}

async function timed(call: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await call();
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  return elapsed;
}

/**
 * The calls alternate after `warmup` rounds, `requests` rounds measured, each round starting one call later (a, b, c,
 * then b, c, a, then c, a, b…): every call follows each of the others equally often, so no side always comes after the
 * same idle time or the same neighbour.
 */
export async function measureAlternating(
  calls: (() => Promise<Response>)[],
  requests: number,
  warmup: number
): Promise<Stats[]> {
  for (let i = 0; i < warmup; i++) for (const call of calls) await timed(call);
  const samples: number[][] = calls.map(() => []);
  for (let round = 0; round < requests; round++) {
    for (let step = 0; step < calls.length; step++) {
      const index = (round + step) % calls.length;
      samples[index]?.push(await timed(calls[index] as () => Promise<Response>));
    }
  }
  return samples.map(stats);
}
