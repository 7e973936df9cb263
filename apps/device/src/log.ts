/**
 * Output a person can follow: one line per event, `HH:MM:SS area  message`. Never given a secret or a token (the
 * auth package's log lines are written to be safe to print, and the device only adds references and counts).
 */
export type Area = 'device' | 'auth' | 'webhook' | 'order' | 'outbox' | 'upload' | 'http';

export type LogLine = (area: Area, message: string) => void;

export interface LoggerOptions {
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): LogLine {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  return (area, message) => {
    const time = now().toISOString().slice(11, 19);
    write(`${time} ${area.padEnd(7)} ${message}`);
  };
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
