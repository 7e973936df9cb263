import { signRestHookBody } from '../webhooks/verify.ts';

/** What a rest-hook Subscription hands Medplum: the Basic credentials of `channel.header` and the HMAC secret. */
export interface RestHookChannel {
  username: string;
  password: string;
  secret: string;
}

/**
 * The headers of a rest-hook delivery of `body` exactly as Medplum sends one (packages/server/src/workers/subscription.ts
 * buildRestHookHeaders): the FHIR content type, `channel.header` (Basic), `X-Medplum-Subscription`,
 * `X-Medplum-Interaction` and `X-Signature`, the HMAC-SHA256 of the body's bytes.
 */
export function restHookHeaders(body: string, channel: RestHookChannel): Record<string, string> {
  return {
    'Content-Type': 'application/fhir+json',
    Authorization: `Basic ${Buffer.from(`${channel.username}:${channel.password}`).toString('base64')}`,
    'X-Medplum-Subscription': 'sub-1',
    'X-Medplum-Interaction': 'create',
    'X-Signature': signRestHookBody(body, channel.secret),
  };
}
