/**
 * The proxy's log entries: built from the explicit field list below, never from request headers, cookies, bodies or
 * query strings, so tokens, cookies, passwords and search terms (which may name a patient) cannot end up in them.
 * Every entry about a request carries its request id. They are written by the one logger every process here uses
 * (@org/runtime: JSON lines, or a readable line on a terminal).
 */
import { createLogger, type Logger as ProcessLogger } from '@org/runtime';

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

/** Writes entries through a process logger; only the fields of LogEntry reach it. */
export function entryLogger(logger: ProcessLogger): Logger {
  return ({ level, msg, ...fields }) => logger[level](fields, msg);
}

let processLogger: Logger | undefined;
/** The proxy process's logger, made on first use. */
export function proxyLogger(): Logger {
  processLogger ??= entryLogger(createLogger({ name: 'proxy' }));
  return processLogger;
}

export const silentLogger: Logger = () => {};
