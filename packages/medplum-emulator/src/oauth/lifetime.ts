const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

export const DEFAULT_ACCESS_TOKEN_LIFETIME = '1h';
export const DEFAULT_REFRESH_TOKEN_LIFETIME = '2w';
export const ID_TOKEN_LIFETIME = '1h';

/** Medplum's lifetime strings (`^\d+[smhdwy]$`, e.g. `2s`, `1h`, `2w`) in seconds; anything else uses the fallback. */
export function parseLifetime(value: string | undefined, fallback: string): number {
  const match = /^(\d+)([smhdwy])$/.exec(value ?? '') ?? /^(\d+)([smhdwy])$/.exec(fallback);
  if (!match) throw new Error(`Invalid lifetime ${fallback}`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}
