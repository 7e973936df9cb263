import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoKey, JWK } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A tiny OIDC identity provider and JWKS host for the emulator's tests (the real "Acme SSO" lives in src/idp and is
 * tested end to end elsewhere). It knows one authorization code, one access token and one person.
 */
export interface StandIn {
  url: string;
  /** Signs a client assertion with the key published at `<url>client-jwks`. */
  signClientAssertion(claims: { iss: string; sub: string; aud: string }): Promise<string>;
  stop(): Promise<void>;
}

export const STAND_IN = {
  code: 'stand-in-code',
  accessToken: 'stand-in-access-token',
  rateLimitedToken: 'stand-in-busy-token',
};

export async function startStandIn(
  person: { email: string },
  idpClient: { id: string; secret: string }
): Promise<StandIn> {
  const idpKey = await generateKeyPair('ES256');
  const clientKey = await generateKeyPair('ES256');
  const idpJwk = { ...(await exportJWK(idpKey.publicKey)), kid: 'idp', alg: 'ES256', use: 'sig' };
  const clientJwk = { ...(await exportJWK(clientKey.publicKey)), kid: 'client', alg: 'ES256', use: 'sig' };
  let url = '';

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (path === '/jwks') return send(200, { keys: [idpJwk] as JWK[] });
      if (path === '/client-jwks') return send(200, { keys: [clientJwk] as JWK[] });
      if (path === '/userinfo') {
        const auth = request.headers.authorization;
        if (auth === `Bearer ${STAND_IN.rateLimitedToken}`) return send(429, { error: 'slow down' });
        if (auth !== `Bearer ${STAND_IN.accessToken}`) return send(401, { error: 'invalid_token' });
        return send(200, { sub: 'stand-in-subject', email: person.email });
      }
      if (path === '/token' && request.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const expected = `Basic ${Buffer.from(`${idpClient.id}:${idpClient.secret}`).toString('base64')}`;
        if (request.headers.authorization !== expected || form.get('code') !== STAND_IN.code) {
          return send(400, { error: 'invalid_grant' });
        }
        const idToken = await new SignJWT({ email: person.email })
          .setProtectedHeader({ alg: 'ES256', kid: 'idp' })
          .setIssuer(url)
          .setAudience(idpClient.id)
          .setSubject('stand-in-subject')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(idpKey.privateKey as CryptoKey);
        return send(200, { access_token: STAND_IN.accessToken, id_token: idToken, token_type: 'Bearer' });
      }
      send(404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url,
    signClientAssertion: ({ iss, sub, aud }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'client' })
        .setIssuer(iss)
        .setSubject(sub)
        .setAudience(aud)
        .setIssuedAt()
        .setJti(crypto.randomUUID())
        .setExpirationTime('5m')
        .sign(clientKey.privateKey as CryptoKey),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
