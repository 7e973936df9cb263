import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpServer } from '@org/runtime';
import Provider from 'oidc-provider';
import { createAccountDirectory } from './accounts.ts';
import { buildConfiguration } from './configuration.ts';
import { handleInteraction, sendPage } from './interaction.ts';
import type { IdentityProviderOptions, RunningIdentityProvider } from './options.ts';
import { renderErrorPage } from './pages.ts';

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/;

/**
 * "Acme SSO": a real OpenID Provider (panva/oidc-provider) for Medplum's external-auth flow and token exchange, with
 * its own sign-in page. See ./index.ts for the contract.
 */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  const log = options.log ?? (() => {});
  const directory = createAccountDirectory(options.users);
  for (const client of options.clients) {
    if (!client.clientId || !client.clientSecret || client.redirectUris.length === 0) {
      throw new Error('Identity provider clients need a clientId, a clientSecret and at least one redirect URI');
    }
  }

  let provider: Provider | undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    const match = INTERACTION_PATH.exec(new URL(req.url ?? '/', 'http://idp.invalid').pathname);
    if (match) {
      handleInteraction({ provider, options, directory, log }, req, res, match[1] as string, match[2]).catch(
        (err: unknown) => {
          log(`idp: interaction error: ${err instanceof Error ? err.message : String(err)}`);
          if (!res.headersSent) sendPage(res, 500, renderErrorPage({ error: 'server_error' }));
          else res.destroy();
        }
      );
      return;
    }
    callback(req, res);
  };
  let callback: (req: IncomingMessage, res: ServerResponse) => void = () => {};

  // oidc-provider is a Koa app: a Node request listener, served by the same startHttpServer as the Hono apps.
  const server = await startHttpServer({
    listener,
    port: options.port,
    name: 'the identity provider',
    portSetting: 'IDP_PORT',
  });
  const { port } = server;
  const issuer = (options.issuer ?? `http://localhost:${port}`).replace(/\/$/, '');

  try {
    provider = new Provider(issuer, await buildConfiguration(options, directory));
  } catch (err) {
    await server.close();
    throw err;
  }
  provider.on('server_error', (_ctx: unknown, err: Error) => log(`idp: server error: ${err.message}`));
  // Koa's own error event; without a listener Koa prints every failed request to stderr.
  (provider as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log(`idp: error: ${err.message}`));
  callback = provider.callback();

  return {
    issuer,
    authorizeUrl: provider.urlFor('authorization'),
    tokenUrl: provider.urlFor('token'),
    userInfoUrl: provider.urlFor('userinfo'),
    jwksUrl: provider.urlFor('jwks'),
    stop: () => server.close(),
  };
}
