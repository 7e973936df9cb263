import { createServer } from 'node:net';
import { startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../ids.ts';
import { type AuthModelOptions, buildEmulatorSeed, withOverrides } from '../provisioning/model/index.ts';
import { DEV_OPTIONS } from '../provisioning/testing/config.ts';
import { browserAuthOn, CALLBACK_ORIGIN, stubBrowserWindow } from '../testing/browser.ts';

// Integration: signInWithExternalAuth through the emulator's Acme SSO (oidc-provider) and Medplum's /auth/external,
// driven over real HTTP the way a browser would (redirects followed by hand, cookies kept per host).
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let options: AuthModelOptions;

beforeAll(async () => {
  const [idpPort, emulatorPort] = [await freePort(), await freePort()];
  const issuer = `http://localhost:${idpPort}`;
  options = withOverrides(DEV_OPTIONS, {
    externalIdp: { issuer, authorizeUrl: `${issuer}/authorize` },
    bcryptRounds: 4,
  });
  emulator = await startEmulator({
    port: emulatorPort,
    seed: buildEmulatorSeed(options),
    authRateLimit: 100_000,
    log: () => {},
    identityProvider: {
      port: idpPort,
      issuer,
      clients: [
        {
          clientId: options.externalIdp.clientId,
          clientSecret: options.externalIdp.clientSecret,
          redirectUris: [`http://localhost:${emulatorPort}/auth/external`],
        },
      ],
      users: [{ email: options.devUser.email, password: 'acme-sso-password' }],
    },
  });
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(stubBrowserWindow);

/** Follows redirects like a browser until one leaves for `stopAt`, fills the IdP sign-in form; keeps cookies per host. */
async function browse(start: string, stopAt: string) {
  const jar = new Map<string, Map<string, string>>();
  let url = start;
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(stopAt)) return url;
    const host = new URL(url).host;
    const cookies = jar.get(host) ?? new Map<string, string>();
    jar.set(host, cookies);
    const headers = new Headers(init.headers);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    init = {};
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).toString();
      continue;
    }
    const page = await res.text();
    const action = /<form method="post" action="([^"]+\/login)"/.exec(page)?.[1];
    if (res.status === 200 && action) {
      url = new URL(action.replaceAll('&amp;', '&'), url).toString();
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: options.devUser.email, password: 'acme-sso-password' }).toString(),
      };
      continue;
    }
    throw new Error(`stuck at ${url}: ${res.status} ${page.slice(0, 200)}`);
  }
  throw new Error('too many redirects');
}

describe('sign-in through the external identity provider', () => {
  it('IdP sign-in, back through <medplum>/auth/external, to the callback with ?login=&code=, then signed in', async () => {
    const { authorizeUrl, clientId } = options.externalIdp;
    const auth = browserAuthOn(emulator.url, {
      clientId: options.web.clientId,
      externalAuth: { authorizeUrl, clientId },
    });
    const start = await auth.externalAuthUrl();
    const landed = await browse(start, `${CALLBACK_ORIGIN}/auth/callback`);
    const search = new URL(landed).search;
    expect(new URLSearchParams(search).get('login')).toBeTruthy();
    const result = await auth.handleCallback(search);
    expect(result).toMatchObject({
      status: 'signed-in',
      profile: { resourceType: 'Practitioner', id: SEED_IDS.practitioner },
    });
  }, 60_000);
});
