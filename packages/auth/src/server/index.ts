/**
 * Pattern 2, server side: one long-lived client per ClientApplication, held by a trusted server (the proxy/BFF).
 * Server only: it holds a client secret or private key.
 *
 *   const medplum = createServiceClient({
 *     baseUrl: 'https://api.medplum.com/',
 *     credentials: clientCredentials({ clientId, clientSecret }), // or basicAuth(...) / privateKeyJwt(...)
 *   });
 *   const patients = await medplum.onBehalfOf(session.membership).searchResources('Patient');
 */

export { FHIR_ID_PATTERN, isFhirId } from '../fhir-id.ts';
export {
  CLIENT_ASSERTION_ALGORITHMS,
  type ClientAssertionAlgorithm,
  type ClientAssertionKey,
  type ClientAssertionOptions,
  MAX_ASSERTION_LIFETIME_SECONDS,
  signClientAssertion,
} from './client-assertion.ts';
export {
  basicAuth,
  type CredentialContext,
  type CredentialMethod,
  type CredentialStrategy,
  clientCredentials,
  privateKeyJwt,
} from './credentials.ts';
export {
  ON_BEHALF_OF_HEADER,
  type OnBehalfOfReference,
  type OnBehalfOfType,
  onBehalfOfValue,
} from './on-behalf-of.ts';
export { type MedplumRefusal, refusalOf } from './refusal.ts';
export {
  createServiceClient,
  type FhirCalls,
  outcomeStatus,
  type ServiceClient,
  type ServiceClientOptions,
} from './service-client.ts';
