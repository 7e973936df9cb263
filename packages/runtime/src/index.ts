export { replaceFileDurably, syncDirectory } from './durable-file.ts';
export {
  type HttpServerOptions,
  HttpServerStartError,
  type RunningHttpServer,
  startHttpServer,
} from './http-server.ts';
export {
  createLogger,
  type Level,
  type Logger,
  type LoggerOptions,
  PRETTY_OPTIONS,
  readableLogLine,
} from './logger.ts';
export { exitOnStartError, stopOnSignal } from './process.ts';
