import type { EmulatorServices } from '../services.ts';

export type TokenErrorCode = 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'access_denied';

/**
 * A token-endpoint failure: `{error, error_description}` with HTTP 400 (429 when the identity provider throttles a token
 * exchange), as packages/server/src/oauth/token.ts `sendTokenError` answers; never 401.
 */
export class TokenError extends Error {
  readonly error: TokenErrorCode;
  readonly status: 400 | 429;
  constructor(description: string, error: TokenErrorCode = 'invalid_request', status: 400 | 429 = 400) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

export type Form = Record<string, string>;

/** One token endpoint: the emulator's services and the state its grants keep between requests. */
export interface TokenEndpoint {
  services: EmulatorServices;
  /** One refresh at a time per Login, so concurrent refreshes see each other's rotation (Medplum: a transaction). */
  refreshQueues: Map<string, Promise<unknown>>;
}
