/**
 * One way to listen: every server here (emulator, identity provider, proxy, device) starts through startHttpServer(),
 * on loopback unless told otherwise, and fails to start with one message that names the cause and the fix.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from 'pino';

type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>;

export interface HttpServerOptions {
  /** A Hono app's `fetch` (served through @hono/node-server)… */
  fetch?: FetchHandler;
  /** …or a Node request listener (oidc-provider's `provider.callback()`). Exactly one of the two. */
  listener?: RequestListener;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: nothing here listens beyond this machine unless its configuration says so. */
  hostname?: string;
  /** Who listens, for messages: `the proxy`, `the identity provider`. */
  name: string;
  /** The setting that chooses the port, named in the fix: `PROXY_PORT`. */
  portSetting?: string;
  /** Said after the fix when the port is in use, e.g. what else must change with the port. */
  inUseHint?: string;
  /** Gets one `listening` entry; none when unset. */
  log?: Logger;
  /** How long close() lets requests in flight finish before cutting their connections. Default 1000 ms. */
  closeGraceMs?: number;
}

export interface RunningHttpServer {
  /** `http://localhost:<port>/`. */
  url: string;
  port: number;
  hostname: string;
  server: Server;
  /** Stops accepting, closes idle connections at once and the rest after the grace period; resolves when closed. */
  close(): Promise<void>;
}

/** A server that could not start: `message` is the one line to show (cause and fix), no stack trace needed. */
export class HttpServerStartError extends Error {
  override name = 'HttpServerStartError';
  /** `EADDRINUSE`, `EACCES` or `EADDRNOTAVAIL`. */
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  const server = createHttpServer(options);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(startError(error, options, hostname));
    server.once('error', onError);
    server.listen(options.port, hostname, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}/`;
  options.log?.info({ port, hostname }, `${options.name} listening on ${hostname}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    hostname,
    server,
    close: () => {
      closing ??= closeServer(server, options.closeGraceMs ?? 1000);
      return closing;
    },
  };
}

function createHttpServer(options: HttpServerOptions): Server {
  if (options.fetch && !options.listener) return createAdaptorServer({ fetch: options.fetch }) as Server;
  if (options.listener && !options.fetch) return createServer(options.listener);
  throw new TypeError('startHttpServer: give either fetch or listener');
}

function startError(error: NodeJS.ErrnoException, options: HttpServerOptions, hostname: string): Error {
  const where = `Port ${options.port} on ${hostname}`;
  const setPort = options.portSetting ? `set ${options.portSetting} to another port` : 'choose another port';
  switch (error.code) {
    case 'EADDRINUSE':
      return new HttpServerStartError(
        `${where} is already in use, so ${options.name} cannot start. Stop whatever is using it or ${setPort}.${options.inUseHint ? ` ${options.inUseHint}` : ''}`,
        error.code
      );
    case 'EACCES':
      return new HttpServerStartError(
        `${where} needs privileges this user does not have, so ${options.name} cannot start. ${capitalise(setPort)} above 1023.`,
        error.code
      );
    case 'EADDRNOTAVAIL':
      return new HttpServerStartError(
        `${hostname} is not an address of this machine, so ${options.name} cannot listen on it. Use 127.0.0.1, or an address this machine has.`,
        error.code
      );
    default:
      return error;
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections (browsers, Medplum's webhook client) would hold close() open.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}
