/** Verify Medplum rest-hook deliveries: Basic credentials, X-Signature over the raw bytes, freshness, redelivery. Node only. */
export { createMemoryDeliveryLedger, type DeliveryLedger } from './ledger.ts';
export { type RestHookEnv, type RestHookMiddlewareOptions, restHookVerifier } from './middleware.ts';
export {
  checkBasicCredentials,
  checkSignature,
  type HeaderSource,
  type RestHookCredentials,
  type RestHookDelivery,
  type RestHookRejection,
  type RestHookVerification,
  type RestHookVerifyOptions,
  restHookDedupeKey,
  signRestHookBody,
  verifyRestHook,
} from './verify.ts';
