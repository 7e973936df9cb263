import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface ListeningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens for the app on all interfaces (Medplum must be able to reach the webhook inbox); port 0 picks a free port.
 * The only place the device opens a socket.
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number
): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port }, (info: AddressInfo) => {
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
