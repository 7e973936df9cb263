import type { MedplumClient } from '@medplum/core';
import { type ClientAssertionKey, signClientAssertion } from './client-assertion.ts';

export type CredentialMethod = 'client-credentials' | 'basic' | 'private-key-jwt';

export interface CredentialContext {
  /** `<baseUrl>oauth2/token`, the audience of client assertions. */
  tokenUrl: string;
}

/**
 * How a confidential ClientApplication proves who it is. Every strategy works on one long-lived MedplumClient.
 * `describe()` is a log line that never contains a secret.
 */
export interface CredentialStrategy {
  readonly method: CredentialMethod;
  readonly clientId: string;
  /** True when the strategy obtains access tokens; false when every request carries the credential (Basic). */
  readonly usesTokens: boolean;
  /** True when the SDK itself can get a new token after a 401 (it remembers a client secret). */
  readonly sdkCanRelogin: boolean;
  describe(): string;
  /** Token strategies: one token request. Basic: installs the credential; no request. */
  apply(medplum: MedplumClient, context: CredentialContext): Promise<void>;
}

function requireValue(name: string, value: string | undefined): string {
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** OAuth2 client credentials (`startClientLogin`): the default. */
export function clientCredentials(options: { clientId: string; clientSecret: string }): CredentialStrategy {
  const clientId = requireValue('clientId', options.clientId);
  const clientSecret = requireValue('clientSecret', options.clientSecret);
  return {
    method: 'client-credentials',
    clientId,
    usesTokens: true,
    sdkCanRelogin: true,
    describe: () => `client-credentials: OAuth2 client_credentials as ClientApplication/${clientId}; token cached`,
    async apply(medplum) {
      await medplum.startClientLogin(clientId, clientSecret);
    },
  };
}

/**
 * HTTP Basic with the client id and secret on every request (`setBasicAuth`). Stateless, no token, but the secret
 * travels with every call, `retiringSecret` is not accepted and `ClientApplication.status` is not checked by Medplum.
 */
export function basicAuth(options: { clientId: string; clientSecret: string }): CredentialStrategy {
  const clientId = requireValue('clientId', options.clientId);
  const clientSecret = requireValue('clientSecret', options.clientSecret);
  return {
    method: 'basic',
    clientId,
    usesTokens: false,
    sdkCanRelogin: true,
    describe: () =>
      `basic: FALLBACK - client id and secret of ClientApplication/${clientId} sent with every request (no token); use client-credentials or private-key-jwt where possible`,
    async apply(medplum) {
      medplum.setBasicAuth(clientId, clientSecret);
    },
  };
}

/**
 * `private_key_jwt` (`startJwtAssertionLogin`): no shared secret leaves the host; Medplum fetches the public key from
 * `ClientApplication.jwksUri`. A fresh assertion is signed for every token request.
 */
export function privateKeyJwt(
  options: { clientId: string; lifetimeSeconds?: number } & ClientAssertionKey
): CredentialStrategy {
  const clientId = requireValue('clientId', options.clientId);
  return {
    method: 'private-key-jwt',
    clientId,
    usesTokens: true,
    sdkCanRelogin: false,
    describe: () =>
      `private-key-jwt: client assertion (${options.alg}, kid ${options.kid}) for ClientApplication/${clientId}; no shared secret`,
    async apply(medplum, context) {
      const assertion = await signClientAssertion({
        clientId,
        tokenUrl: context.tokenUrl,
        privateKey: options.privateKey,
        alg: options.alg,
        kid: options.kid,
        lifetimeSeconds: options.lifetimeSeconds,
      });
      await medplum.startJwtAssertionLogin(assertion);
    },
  };
}
