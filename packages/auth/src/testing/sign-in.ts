import { createHash, randomBytes } from 'node:crypto';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';

/** A MedplumClient of its own (in-memory storage, no cache) for a test to sign in with. */
function freshClient(baseUrl: string, clientId: string, storage = new ClientStorage(new MemoryStorage())) {
  return new MedplumClient({ baseUrl, clientId, storage, cacheTime: 0 });
}

/**
 * A ClientApplication signed in to the Medplum at `baseUrl` with client credentials: a project admin client in
 * provisioning tests, the device or the proxy elsewhere.
 */
export async function signInAsClient(
  baseUrl: string,
  client: { clientId: string; clientSecret: string }
): Promise<MedplumClient> {
  const medplum = freshClient(baseUrl, client.clientId);
  await medplum.startClientLogin(client.clientId, client.clientSecret);
  return medplum;
}

/**
 * A user signed in to the Medplum at `baseUrl` with email and password through `clientId`, with PKCE (S256) as a
 * browser does. The SDK's own PKCE helper wants `window.crypto` and falls back to `plain` in Node; S256 is done here.
 */
export async function signInWithPassword(
  baseUrl: string,
  user: { clientId: string; email: string; password: string }
): Promise<MedplumClient> {
  const storage = new ClientStorage(new MemoryStorage());
  const verifier = randomBytes(48).toString('base64url');
  // `processCode` sends the verifier the SDK keeps under this key.
  storage.setString('codeVerifier', verifier);
  const medplum = freshClient(baseUrl, user.clientId, storage);
  const login = await medplum.startLogin({
    email: user.email,
    password: user.password,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
  });
  if (!login.code) throw new Error(`sign-in of ${user.email} gave no code`);
  await medplum.processCode(login.code);
  return medplum;
}
