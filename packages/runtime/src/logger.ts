/**
 * One logger for every process here: pino, writing one JSON object per line when stdout is not a terminal (CI, log
 * collectors, `pnpm dev`'s pipes) and one readable line when it is. Callers pass explicit fields; the redact list below
 * is a second line of defence so a header, cookie, password or token given by mistake is censored, not written.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { PrettyOptions } from 'pino-pretty';

export type { Level, Logger };

/** What a secret may be called when it is passed by mistake, at the top level or one object down. */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  'headers',
  'password',
  'secret',
  'clientSecret',
  'token',
  'accessToken',
  'refreshToken',
  'body',
  'query',
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]);

/** The readable line: `[12:00:01] INFO: device/upload: message`, other fields after it on the same line. */
export const PRETTY_OPTIONS: PrettyOptions = {
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname,name,area',
  messageFormat: '{if name}{name}{end}{if area}/{area}{end}: {msg}',
  singleLine: true,
};

export interface LoggerOptions {
  /** The process or part, e.g. `proxy`, `device`, `medplum-emulator`; on every entry. */
  name: string;
  /** Default `info`. */
  level?: Level | 'silent';
  /** Readable lines instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where entries go; default stdout. Tests pass a stream that collects them. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    pretty ? prettyStream(options.destination) : (options.destination ?? pino.destination({ dest: 1, sync: true }))
  );
}

/**
 * pino-pretty's formatter in this thread (not a worker transport): a terminal needs no throughput, and start-up stays
 * fast. Loaded only when a terminal asks for it.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const format = prettyFormatter(destination === undefined && process.stdout.isTTY === true);
  const out = destination ?? process.stdout;
  return { write: (line: string) => void out.write(format(line)) };
}

function prettyFormatter(colorize: boolean): (line: string) => string {
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty.prettyFactory({ ...PRETTY_OPTIONS, colorize });
}

/** Turns one JSON log line from a child process into the readable line (scripts/dev.ts); other lines pass unchanged. */
export function readableLogLine(colorize: boolean): (line: string) => string {
  const format = prettyFormatter(colorize);
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      return format(JSON.parse(line)).trimEnd();
    } catch {
      return line;
    }
  };
}
