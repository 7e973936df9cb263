#!/usr/bin/env node
/**
 * `pnpm dev` / `medplum-emulator [--seed <bundle.json>] [--data-file <file>]`: configuration from @org/config (EMULATOR_*,
 * IDP_*, DEV_PRACTITIONER_*, NEXT_PUBLIC_IDP_CLIENT_ID), flags win over the environment. Logs one ready entry
 * (`Medplum emulator ready at …`, with `url`) through the @org/runtime logger; expected failures print one message
 * with the fix on stderr and exit 1, without a stack trace. SIGINT/SIGTERM stop it and exit 0.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Bundle } from '@medplum/fhirtypes';
import {
  composeSchemas,
  devUserSchema,
  emulatorSchema,
  identityProviderSchema,
  loadConfigOrExit,
  webBrowserSchema,
} from '@org/config';
import { createLogger, exitOnStartError, stopOnSignal } from '@org/runtime';
import { EmulatorStartError } from './errors.ts';
import { startEmulator } from './index.ts';

const USAGE = 'Usage: medplum-emulator [--seed <bundle.json>] [--data-file <file.json>]';

function fail(message: string): never {
  process.stderr.write(`medplum-emulator: ${message}\n`);
  process.exit(1);
}

function parseFlags(): { seed?: string; dataFile?: string } {
  try {
    const { values } = parseArgs({
      options: { seed: { type: 'string' }, 'data-file': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return {
      ...(values.seed ? { seed: values.seed } : {}),
      ...(values['data-file'] ? { dataFile: values['data-file'] } : {}),
    };
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
}

function readSeed(path: string): Bundle {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail(
      `cannot read the seed file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check the --seed path.`
    );
  }
  try {
    return JSON.parse(text) as Bundle;
  } catch {
    return fail(
      `the seed file ${path} is not valid JSON. It must hold one FHIR Bundle (type "collection" or "transaction").`
    );
  }
}

const flags = parseFlags();
const config = loadConfigOrExit(
  composeSchemas(emulatorSchema, identityProviderSchema, devUserSchema, webBrowserSchema)
);
const seed = flags.seed ? readSeed(flags.seed) : undefined;
const dataFile = flags.dataFile ?? config.EMULATOR_DATA_FILE;
const emulatorUrl = `http://localhost:${config.EMULATOR_PORT}/`;
const logger = createLogger({ name: 'medplum-emulator' });

try {
  const emulator = await startEmulator({
    port: config.EMULATOR_PORT,
    ...(seed ? { seed } : {}),
    ...(dataFile ? { dataFile } : {}),
    allowedOrigins: [...config.EMULATOR_ALLOWED_ORIGINS],
    authRateLimit: config.EMULATOR_AUTH_RATE_LIMIT,
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
    log: (line) => logger.info(line),
  });
  const idp = emulator.identityProvider ? `, identity provider at ${emulator.identityProvider.issuer}` : '';
  const persistence = dataFile ? `data in ${dataFile}` : 'data in memory';
  logger.info({ url: emulator.url }, `Medplum emulator ready at ${emulator.url} (${persistence}${idp})`);
  stopOnSignal(() => emulator.stop(), logger);
} catch (error) {
  exitOnStartError('medplum-emulator', error, (e) => e instanceof EmulatorStartError);
}
