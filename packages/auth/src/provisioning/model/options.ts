/**
 * What the auth model is built from, named after what it describes: the three ClientApplications, the external IdP
 * the web client offers, the dev user and the device's webhook. Environment variables are mapped to these options
 * in one place, the provisioning CLI's `cli-env.ts`.
 */

export type ClientName = 'web' | 'proxy' | 'device' | 'pipeline';

interface ClientOptions {
  clientId: string;
  /** This client's access-token lifetime (`^\d+[smhdwy]$`); wins over {@link AuthModelOptions.accessTokenLifetime}. */
  accessTokenLifetime?: string;
}

/** The web app (pattern 1): a public PKCE client. */
export interface WebClientOptions extends ClientOptions {
  /** Origins the web app is served from; each gets `<origin><callbackPath>` as redirect URI. Default `http://localhost:3000`. */
  origins?: readonly string[];
  /** Default `/auth/callback` (what `@org/auth/browser` sends as redirect_uri). */
  callbackPath?: string;
  /** Refresh-token lifetime (Medplum's default is 2w). */
  refreshTokenLifetime?: string;
}

/** A confidential client (the proxy, pattern 2). */
export interface ConfidentialClientOptions extends ClientOptions {
  /** Left out when Medplum generates it (`provision`); the emulator's seed needs it. */
  clientSecret?: string;
}

/** The lab analyzer (pattern 3): a confidential client that also receives the lab-order Subscription's rest-hooks. */
export interface DeviceClientOptions extends ConfidentialClientOptions {
  /** The device's published JWKS (for `private_key_jwt`). */
  jwksUri: string;
  webhook: {
    /** Where Medplum delivers lab orders. */
    url: string;
    /** Basic credentials Medplum sends with every delivery. */
    username: string;
    password: string;
    /** HMAC key of the `X-Signature` header (Medplum's subscription-secret extension). */
    secret: string;
  };
}

/** The external IdP as the web ClientApplication's `identityProvider`. */
export interface ExternalIdpOptions {
  /** Exactly as the IdP writes it into its ID tokens. */
  issuer: string;
  /** Where the browser is sent (the same public setting the web app uses). */
  authorizeUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface AuthModelOptions {
  web: WebClientOptions;
  externalIdp: ExternalIdpOptions;
  proxy: ConfidentialClientOptions;
  device: DeviceClientOptions;
  /** The lab-catalogue pipeline (apps/catalog-pipeline): a confidential client allowed only the catalogue types. */
  pipeline: ConfidentialClientOptions;
  /** The practitioner who signs in to the web app (also the project owner); the receptionist is plus-addressed from it. */
  devUser: { email: string; password: string };
  /** Access-token lifetime of all three ClientApplications (Medplum's default is 1h). */
  accessTokenLifetime?: string;
  /** Project name in the seed. */
  projectName?: string;
  /** bcrypt cost of the dev user's password hash (default 10, as Medplum); tests may lower it. */
  bcryptRounds?: number;
}

/** Options with any field left out, at any depth (arrays are replaced whole). */
export type AuthModelOverrides = DeepPartial<AuthModelOptions>;
type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]> };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `options` with `overrides` laid over it, section by section (`{ device: { jwksUri } }` keeps the rest of `device`). */
export function withOverrides(options: AuthModelOptions, overrides: AuthModelOverrides): AuthModelOptions {
  const merge = (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> => {
    const merged = { ...base };
    for (const [key, value] of Object.entries(over)) {
      if (value === undefined) continue;
      const current = merged[key];
      merged[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
    }
    return merged;
  };
  return merge(options as unknown as Record<string, unknown>, overrides) as unknown as AuthModelOptions;
}
