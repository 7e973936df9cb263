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

/** The calls alternate (a, b, c, a, b, c…) after `warmup` rounds, `requests` rounds measured. */
export async function measureAlternating(
  calls: (() => Promise<Response>)[],
  requests: number,
  warmup: number
): Promise<Stats[]> {
  for (let i = 0; i < warmup; i++) for (const call of calls) await timed(call);
  const samples: number[][] = calls.map(() => []);
  for (let i = 0; i < requests; i++) {
    for (const [index, call] of calls.entries()) samples[index]?.push(await timed(call));
  }
  return samples.map(stats);
}
