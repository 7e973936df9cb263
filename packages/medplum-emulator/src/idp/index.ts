// CONTRACT STUB — being implemented by the subscriptions/IdP helper. Keep these exported names and signatures.

export interface IdentityProviderClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs, e.g. `http://localhost:8103/auth/external`. */
  redirectUris: string[];
}

export interface IdentityProviderUser {
  email: string;
  password: string;
  name?: string;
}

export interface IdentityProviderOptions {
  /** 0 picks a free port. Listens on 127.0.0.1 only. */
  port: number;
  /** Defaults to `http://localhost:<port>`. */
  issuer?: string;
  clients: IdentityProviderClient[];
  users: IdentityProviderUser[];
}

export interface RunningIdentityProvider {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
  jwksUrl: string;
  stop(): Promise<void>;
}

export async function startIdentityProvider(_options: IdentityProviderOptions): Promise<RunningIdentityProvider> {
  throw new Error('startIdentityProvider: not implemented yet');
}
