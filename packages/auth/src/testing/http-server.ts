import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 for a fetch handler (a Hono app's `fetch`), for integration tests. */
export async function serveFetch(
  handler: (request: Request) => Response | Promise<Response>
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(key, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    }
    const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A fetch that records the path of every request before handing it to the real fetch: how many token requests and
 * FHIR calls a client really made, counted at the HTTP layer.
 */
export function countingFetch(base: typeof fetch = globalThis.fetch) {
  const paths: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input : input.url);
    paths.push(url.pathname);
    return base(input, init);
  };
  return {
    fetch: wrapped,
    /** Requests to exactly this path. */
    count: (path: string) => paths.filter((p) => p === path).length,
    tokenRequests: () => paths.filter((p) => p.endsWith('/oauth2/token')).length,
    fhirRequests: () => paths.filter((p) => p.includes('/fhir/R4/')).length,
    all: () => paths.length,
  };
}
