// What the identity provider is started with and what it hands back; provider.ts implements it.

export interface IdentityProviderClient {
  clientId: string;
  /** Use URL-safe characters: Medplum sends client_secret_basic without form-encoding id and secret. */
  clientSecret: string;
  /** Exact redirect URIs, e.g. `http://localhost:8103/auth/external`. */
  redirectUris: string[];
  /** Shown on the sign-in page; defaults to the clientId. */
  name?: string;
}

export interface IdentityProviderUser {
  email: string;
  password: string;
  name?: string;
  /** The OIDC `sub` (what Medplum matches to ProjectMembership.externalId with useSubject); defaults to the lowercased email. */
  subject?: string;
}

export interface IdentityProviderOptions {
  /** 0 picks a free port. Listens on 127.0.0.1 only. */
  port: number;
  /** Defaults to `http://localhost:<port>`. */
  issuer?: string;
  clients: IdentityProviderClient[];
  users: IdentityProviderUser[];
  /** One line per sign-in and per server error; never secrets, tokens or passwords. */
  log?: (line: string) => void;
}

export interface RunningIdentityProvider {
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
  jwksUrl: string;
  stop(): Promise<void>;
}
