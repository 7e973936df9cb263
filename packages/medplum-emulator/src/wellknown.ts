import { Hono } from 'hono';
import type { EmulatorServices } from './services.ts';

const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
];
const TOKEN_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** Medplum's packages/server/src/wellknown.ts documents, with this emulator's URLs. */
function openIdConfiguration(services: EmulatorServices) {
  const base = services.baseUrl;
  return {
    issuer: base,
    authorization_endpoint: `${base}oauth2/authorize`,
    token_endpoint: `${base}oauth2/token`,
    userinfo_endpoint: `${base}oauth2/userinfo`,
    jwks_uri: `${base}.well-known/jwks.json`,
    introspection_endpoint: `${base}oauth2/introspect`,
    registration_endpoint: `${base}oauth2/register`,
    // As packages/server/src/wellknown.ts (handleOAuthConfig) lists it; clients must read the JWKS for the key types.
    id_token_signing_alg_values_supported: ['RS256'],
    grant_types_supported: GRANT_TYPES,
    response_types_supported: ['code', 'id_token', 'token id_token'],
    subject_types_supported: ['pairwise', 'public'],
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'address'],
    token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    request_object_signing_alg_values_supported: ['none'],
  };
}

export function smartConfiguration(services: EmulatorServices) {
  const base = services.baseUrl;
  return {
    issuer: base,
    jwks_uri: `${base}.well-known/jwks.json`,
    authorization_endpoint: `${base}oauth2/authorize`,
    grant_types_supported: GRANT_TYPES,
    token_endpoint: `${base}oauth2/token`,
    token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'ES384'],
    introspection_endpoint: `${base}oauth2/introspect`,
    scopes_supported: [
      'patient/*.rs',
      'user/*.cruds',
      'openid',
      'fhirUser',
      'launch',
      'launch/patient',
      'offline_access',
      'online_access',
    ],
    response_types_supported: ['code'],
    capabilities: [
      'authorize-post',
      'permission-v1',
      'permission-v2',
      'client-confidential-asymmetric',
      'client-confidential-symmetric',
      'client-public',
      'context-banner',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'context-style',
      'launch-ehr',
      'launch-standalone',
      'permission-offline',
      'permission-patient',
      'permission-user',
      'sso-openid-connect',
    ],
    code_challenge_methods_supported: ['S256'],
  };
}

export function wellKnownRoutes(services: EmulatorServices): Hono {
  const app = new Hono();
  app.get('/.well-known/openid-configuration', (c) => c.json(openIdConfiguration(services)));
  app.get('/.well-known/oauth-authorization-server', (c) => c.json(openIdConfiguration(services)));
  app.get('/.well-known/jwks.json', (c) => c.json(services.keys.publicJwks()));
  app.get('/.well-known/smart-configuration', (c) => c.json(smartConfiguration(services)));
  app.get('/.well-known/smart-styles.json', (c) => c.json({}));
  app.get('/.well-known/oauth-protected-resource', (c) =>
    c.json({
      issuer: services.baseUrl,
      authorization_servers: [services.baseUrl],
      scopes_supported: ['openid', 'profile', 'email', 'phone', 'address'],
      bearer_methods_supported: ['header'],
      introspection_endpoint: `${services.baseUrl}oauth2/introspect`,
    })
  );
  return app;
}
