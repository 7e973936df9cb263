/**
 * Structured logs: one JSON object per line. Entries are built from an explicit list of fields, never from request
 * headers, cookies, bodies or query strings, so tokens, cookies, passwords and search terms (which may name a patient)
 * cannot end up in them. Every entry about a request carries its request id.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  requestId?: string;
  method?: string;
  /** Path only, without the query string. */
  path?: string;
  status?: number;
  durationMs?: number;
  /** The legacy user name (not a Medplum identifier). */
  user?: string;
  /** Upstream (Medplum) status or failure kind. */
  upstream?: string | number;
  /** Short machine-readable reason: `csrf-header`, `csrf-origin`, `rate-limited`, ... */
  reason?: string;
}

export type Logger = (entry: LogEntry) => void;

/** Writes JSON lines to stdout. */
export const jsonLogger: Logger = (entry) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
};

export const silentLogger: Logger = () => {};
