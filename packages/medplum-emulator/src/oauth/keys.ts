import type { WithId } from '@medplum/core';
import type { JsonWebKey as FhirJsonWebKey } from '@medplum/fhirtypes';
import type { CryptoKey, JWK, JWTPayload, JWTVerifyResult } from 'jose';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import type { EmulatorRepository } from '../store/emulator-repository.ts';

/** Medplum's current servers generate ES384 (P-384) keys; it also accepts ES256 and RS256 by kid. */
const NEW_KEY_ALGORITHM = 'ES384';
const PRIVATE_JWK_FIELDS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const;

interface LoadedKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Signing keys live in the repository as protected `JsonWebKey` resources (id = kid), as in Medplum; so the data file
 * keeps them and tokens issued before a restart still verify after it.
 */
export class SigningKeys {
  readonly #keys: LoadedKey[];

  private constructor(keys: LoadedKey[]) {
    this.#keys = keys;
  }

  static async load(repo: EmulatorRepository): Promise<SigningKeys> {
    let stored = repo.list<FhirJsonWebKey>('JsonWebKey').filter((key) => key.active);
    if (stored.length === 0) stored = [await createKey(repo)];
    return new SigningKeys(await Promise.all(stored.map(importStoredKey)));
  }

  /** The first active key signs, as in Medplum. */
  async sign(payload: JWTPayload, lifetimeSeconds: number): Promise<string> {
    const key = this.#keys[0] as LoadedKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
  }

  /** Throws on a bad signature, unknown kid, wrong issuer, or an expired / not-yet-valid token. */
  async verify(token: string, issuer: string): Promise<JWTVerifyResult['payload']> {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = this.#keys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('Unknown key id');
        return key.publicKey;
      },
      { issuer, algorithms: ['ES256', 'ES384', 'RS256'] }
    );
    return payload;
  }

  publicJwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((key) => key.publicJwk) };
  }
}

async function createKey(repo: EmulatorRepository): Promise<WithId<FhirJsonWebKey>> {
  const { privateKey } = await generateKeyPair(NEW_KEY_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return repo.createResource<FhirJsonWebKey>({
    resourceType: 'JsonWebKey',
    active: true,
    alg: NEW_KEY_ALGORITHM,
    kty: jwk.kty,
    crv: jwk.crv,
    x: jwk.x,
    y: jwk.y,
    d: jwk.d,
  });
}

async function importStoredKey(stored: FhirJsonWebKey & { id: string }): Promise<LoadedKey> {
  // Keys without alg are RS256: the only algorithm Medplum used before 2025.
  const alg = stored.alg || 'RS256';
  const { id, meta: _meta, resourceType: _type, active: _active, ...fields } = stored;
  const privateJwk = { ...fields, alg } as JWK;
  const publicJwk: JWK = { ...privateJwk, kid: id, use: 'sig' };
  for (const field of PRIVATE_JWK_FIELDS) delete publicJwk[field];
  return {
    kid: id,
    alg,
    privateKey: (await importJWK(privateJwk, alg)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
    publicJwk,
  };
}
