/**
 * The device's log: one entry per event with its area (`webhook`, `upload`, …), written by the logger every process
 * here uses (@org/runtime: a readable line on a terminal, JSON lines otherwise). Never given a secret or a token (the
 * auth package's log lines are written to be safe to print, and the device only adds references and counts).
 */
import { createLogger, type Logger } from '@org/runtime';

export type Area = 'device' | 'auth' | 'webhook' | 'order' | 'catalog' | 'outbox' | 'upload' | 'http';

export type LogLine = (area: Area, message: string) => void;

/** Log lines written by `logger`, default the device process's own. */
export function deviceLog(logger: Logger = createLogger({ name: 'device' })): LogLine {
  return (area, message) => logger.info({ area }, message);
}

/** Lines nobody needs to see (tests). */
export const silentLogger: LogLine = () => {};

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

export function inTime(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
