import { X509Certificate } from 'node:crypto';
import type { ClientApplication } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import type { CryptoKey as JoseKey, JWTVerifyOptions } from 'jose';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { parseBasicCredentials, timingSafeEqualStrings } from '../access/authenticate.ts';
import { findClient } from '../access/directory.ts';
import type { EmulatorServices } from '../services.ts';
import { tokenUrl } from '../services.ts';
import type { Form, TokenEndpoint } from './token-types.ts';
import { TokenError } from './token-types.ts';

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];
const MTLS_CERT_HEADER = 'x-mtls-cert';

/** The client credentials a token request presents, as Medplum reads them (packages/server/src/oauth/token.ts). */
export interface ClientIdAndSecret {
  clientId?: string;
  clientSecret?: string;
}

/** Medplum's getClientIdAndSecret: client assertion, then an mTLS certificate, then the Basic header, then the form. */
export async function clientIdAndSecret(endpoint: TokenEndpoint, c: Context, form: Form): Promise<ClientIdAndSecret> {
  if (form.client_assertion_type) {
    if (form.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw new TokenError('Unsupported client assertion type');
    return verifyClientAssertion(endpoint, form.client_assertion ?? '');
  }
  const certificate = c.req.header(MTLS_CERT_HEADER);
  if (certificate) return verifyClientCertificate(endpoint.services, form.client_id, certificate);
  const authorization = c.req.header('authorization');
  if (authorization) {
    if (!authorization.startsWith('Basic ')) throw new TokenError('Invalid authorization header');
    const [clientId, clientSecret] = parseBasicCredentials(authorization.split(' ')[1] ?? '');
    return { clientId, clientSecret };
  }
  return { clientId: form.client_id || undefined, clientSecret: form.client_secret || undefined };
}

async function verifyClientAssertion(endpoint: TokenEndpoint, assertion: string): Promise<ClientIdAndSecret> {
  const { services } = endpoint;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new TokenError('Invalid client assertion');
  }
  const audience = tokenUrl(services);
  if (claims.aud !== audience) throw new TokenError('Invalid client assertion audience');
  if (claims.iss !== claims.sub) throw new TokenError('Invalid client assertion issuer');
  const client = findClient(services.repo, claims.iss);
  if (!client) throw new TokenError('Client not found');
  if (!client.jwksUri) throw new TokenError('Client must have a JWK Set URL');
  // A new remote key set for every assertion, as packages/server/src/oauth/token.ts (parseClientAssertion) builds
  // one per call: the client's JWKS is fetched afresh each time, so a key rotation counts at once both ways (a new
  // kid verifies on its first use, a key dropped from the set is refused on the next request), with no cache
  // lifetime or unknown-kid cooldown between requests.
  const keySet = createRemoteJWKSet(new URL(client.jwksUri));
  const options: JWTVerifyOptions = { issuer: client.id, audience, algorithms: ASSERTION_ALGORITHMS };
  try {
    await jwtVerify(assertion, keySet, options);
  } catch (error) {
    // As packages/server/src/oauth/token.ts (verifyMultipleMatchingException): when several keys of the set match,
    // each is tried and the first that verifies wins.
    if (!(await verifiesWithAnyMatchingKey(error, assertion, options))) {
      throw new TokenError('Invalid client assertion signature');
    }
  }
  // The verified client then goes through the secret check with its own stored secret, as in Medplum.
  return { clientId: client.id, clientSecret: client.secret };
}

/** Mutual TLS as packages/server/src/oauth/cert.ts validates it: the certificate arrives URL-encoded in a header. */
function verifyClientCertificate(
  services: EmulatorServices,
  clientId: string | undefined,
  encoded: string
): ClientIdAndSecret {
  const client = findClient(services.repo, clientId);
  if (!client) throw new TokenError('Error reading client: Not found');
  if (!client.certificateTrustStore) {
    throw new TokenError('Client does not have a configured certificate trust store');
  }
  try {
    validateClientCertificate(decodeURIComponent(encoded), client.certificateTrustStore);
  } catch (error) {
    throw new TokenError((error as Error).message);
  }
  return { clientId: client.id, clientSecret: client.secret };
}

/** jose's JWKSMultipleMatchingKeys error iterates the candidate keys. */
async function verifiesWithAnyMatchingKey(
  error: unknown,
  assertion: string,
  options: JWTVerifyOptions
): Promise<boolean> {
  if ((error as { code?: string } | undefined)?.code !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return false;
  for await (const key of error as AsyncIterable<JoseKey>) {
    try {
      await jwtVerify(assertion, key, options);
      return true;
    } catch {
      // try the next matching key
    }
  }
  return false;
}

/**
 * As packages/server/src/oauth/token.ts (validateClientIdAndSecret): constant-time against `secret`, then
 * `retiringSecret` (either works during rotation at the token endpoint); a client without a secret is "Invalid client".
 */
export function validateClientSecret(client: ClientApplication | undefined, secret: string): void {
  if (!client?.secret) throw new TokenError('Invalid client');
  const matches =
    timingSafeEqualStrings(client.secret, secret) ||
    (client.retiringSecret !== undefined && timingSafeEqualStrings(client.retiringSecret, secret));
  if (!matches) throw new TokenError('Invalid secret');
}

/** packages/server/src/oauth/cert.ts validateClientCert: expiry, then trust (self-signed: listed; else a listed CA). */
function validateClientCertificate(clientPem: string, trustedPems: string): void {
  const [first] = splitPemCertificates(clientPem);
  const clientCert = new X509Certificate(first as string);
  const trusted = splitPemCertificates(trustedPems).map((pem) => new X509Certificate(pem));
  const now = new Date();
  const validFrom = new Date(clientCert.validFrom);
  if (now < validFrom) throw new Error(`Certificate not yet active. Valid from: ${validFrom.toISOString()}`);
  const validTo = new Date(clientCert.validTo);
  if (now > validTo) throw new Error(`Certificate expired on: ${validTo.toISOString()}`);
  if (clientCert.issuer === clientCert.subject) {
    if (!trusted.some((cert) => cert.fingerprint256 === clientCert.fingerprint256)) {
      throw new Error('Self-signed certificate is not in the trusted certificate list');
    }
    if (!clientCert.verify(clientCert.publicKey)) throw new Error('Self-signed certificate has invalid signature');
    return;
  }
  let lastError: string | undefined;
  for (const ca of trusted) {
    try {
      if (clientCert.checkIssued(ca) && clientCert.verify(ca.publicKey)) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  throw new Error(`Certificate validation failed: ${lastError ?? 'No matching CA found'}`);
}

function splitPemCertificates(pem: string): string[] {
  const found = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (found.length === 0) throw new Error('No valid PEM certificates found');
  return found;
}
