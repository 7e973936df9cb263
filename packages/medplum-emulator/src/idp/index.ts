// "Acme SSO": a local OpenID Provider (panva/oidc-provider) for Medplum's external auth and token exchange.
// The entry the emulator uses: the option types live in options.ts so provider.ts need not import this file.

export type {
  IdentityProviderClient,
  IdentityProviderOptions,
  IdentityProviderUser,
  RunningIdentityProvider,
} from './options.ts';
export { startIdentityProvider } from './provider.ts';
