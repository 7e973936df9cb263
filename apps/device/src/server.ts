import { type RunningHttpServer, startHttpServer } from '@org/runtime';

export type ListeningServer = Pick<RunningHttpServer, 'url' | 'port' | 'close'>;

/**
 * Listens for the app on `host` (DEVICE_LISTEN_HOST: loopback unless a remote Medplum must reach the webhook inbox);
 * port 0 picks a free port. The only place the device opens a socket.
 */
export function listen(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  port: number,
  host = '127.0.0.1'
): Promise<ListeningServer> {
  return startHttpServer({
    fetch,
    port,
    hostname: host,
    name: 'the device',
    portSetting: 'DEVICE_WEBHOOK_PORT',
    inUseHint: 'Another `device run`? A new port also changes the Subscription endpoint and the jwksUri.',
  });
}
