import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens for the app on `host` (DEVICE_LISTEN_HOST: loopback unless a remote Medplum must reach the webhook inbox);
 * port 0 picks a free port. The only place the device opens a socket.
 */
export function listen(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  port: number,
  host = '127.0.0.1'
): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, (info: AddressInfo) => {
      resolve({
        url: `http://localhost:${info.port}/`,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Keep-alive connections (Medplum's webhook client) would hold close() open.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
