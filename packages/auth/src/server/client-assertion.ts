import { randomUUID } from 'node:crypto';
import { type CryptoKey, importJWK, type JWK, type KeyObject, SignJWT } from 'jose';

/** Medplum verifies client assertions signed with these (token.ts). */
export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

/** Medplum's docs ask for at most five minutes. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export interface ClientAssertionKey {
  /** A private key (jose CryptoKey / KeyObject) or its JWK. */
  privateKey: CryptoKey | KeyObject | JWK;
  alg: ClientAssertionAlgorithm;
  /** `kid` of the public key in the published JWKS. */
  kid: string;
}

export interface ClientAssertionOptions extends ClientAssertionKey {
  clientId: string;
  /** The exact token endpoint URL Medplum checks `aud` against (`<baseUrl>oauth2/token`). */
  tokenUrl: string;
  /** Default 120 s; never more than 300 s. */
  lifetimeSeconds?: number;
  /** Seconds since the epoch, for tests. */
  now?: () => number;
}

/**
 * A `private_key_jwt` client assertion (RFC 7523 §2.2) for Medplum's `client_credentials` grant:
 * `iss` = `sub` = client id, `aud` = token URL, a short `exp`, a fresh `jti` every time.
 */
export async function signClientAssertion(options: ClientAssertionOptions): Promise<string> {
  if (!CLIENT_ASSERTION_ALGORITHMS.includes(options.alg)) throw new Error(`unsupported assertion alg ${options.alg}`);
  const lifetime = options.lifetimeSeconds ?? 120;
  if (!(lifetime > 0 && lifetime <= MAX_ASSERTION_LIFETIME_SECONDS)) {
    throw new Error(`client assertion lifetime must be 1..${MAX_ASSERTION_LIFETIME_SECONDS} s`);
  }
  if (!options.clientId) throw new Error('client assertion needs a client id');
  new URL(options.tokenUrl);
  const key =
    'kty' in options.privateKey ? await importJWK(options.privateKey as JWK, options.alg) : options.privateKey;
  const now = Math.floor(options.now?.() ?? Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: options.alg, kid: options.kid, typ: 'JWT' })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetime)
    .setJti(randomUUID())
    .sign(key);
}
