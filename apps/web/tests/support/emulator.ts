/**
 * The Medplum emulator and its "Acme SSO" identity provider for the browser tests, seeded by @org/auth's auth model
 * with one-minute access tokens for the web client (so the refresh test proves something). Started by Playwright's
 * `webServer` with plain `node`, stopped by signal.
 *
 *   node tests/support/emulator.ts
 */

import { buildEmulatorSeed } from '@org/auth/provisioning';
import {
  composeSchemas,
  deviceSchema,
  devUserSchema,
  emulatorSchema,
  identityProviderSchema,
  loadConfig,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import { startEmulator } from '@org/medplum-emulator';

/** The web client's access-token lifetime in the browser tests. */
export const TEST_ACCESS_TOKEN_LIFETIME = '1m';

const config = loadConfig(
  composeSchemas(webBrowserSchema, identityProviderSchema, proxySchema, deviceSchema, emulatorSchema, devUserSchema)
);

const emulatorUrl = `http://localhost:${config.EMULATOR_PORT}/`;
const seed = buildEmulatorSeed(config, {
  webOrigins: config.EMULATOR_ALLOWED_ORIGINS,
  accessTokenLifetimes: { web: TEST_ACCESS_TOKEN_LIFETIME },
  bcryptRounds: 4,
});

const emulator = await startEmulator({
  port: config.EMULATOR_PORT,
  seed,
  allowedOrigins: [...config.EMULATOR_ALLOWED_ORIGINS],
  // Every test signs in afresh from one IP; Medplum's 160/min would throttle the suite, not a user.
  authRateLimit: 10_000,
  identityProvider: {
    port: config.IDP_PORT,
    issuer: config.IDP_ISSUER,
    clients: [
      {
        clientId: config.NEXT_PUBLIC_IDP_CLIENT_ID,
        clientSecret: config.IDP_CLIENT_SECRET,
        redirectUris: [`${emulatorUrl}auth/external`],
      },
    ],
    users: [{ email: config.DEV_PRACTITIONER_EMAIL, password: config.DEV_PRACTITIONER_PASSWORD }],
  },
  // No device runs in these tests, so every webhook delivery fails by design: keep those lines out of the report.
  log: (line) => {
    if (!line.startsWith('subscriptions:')) process.stderr.write(`[emulator] ${line}\n`);
  },
});
process.stdout.write(`emulator ready at ${emulator.url}\n`);

const stop = () => {
  emulator.stop().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
