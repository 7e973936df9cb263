#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
/**
 *   node src/provisioning/cli.ts seed [--out FILE] [--access-token-lifetime [web|proxy|device=]1h]… [--web-origin URL]… [--device-url URL]
 *       writes the emulator's seed Bundle (mode 0600: it holds the dev secrets); default .data/emulator-seed.json
 *   node src/provisioning/cli.ts provision [--check] [--quiet] [--env-out FILE] [--web-origin URL]… [--device-url URL]
 *       makes the project of MEDPLUM_ADMIN_CLIENT_ID (a project-admin ClientApplication) at MEDPLUM_BASE_URL match
 *       the model; new client ids and secrets go to .env.local (or --env-out), never to the terminal. Without
 *       MEDPLUM_ADMIN_CLIENT_ID, a Medplum on this machine is tried with the dev admin of `pnpm dev`'s emulator seed
 *       (cli-env.ts `chooseAdmin`, the device fleet's rule too); any other Medplum is refused.
 *       --check changes nothing and exits 1 when the project drifted from the model.
 *       --quiet prints only what changed and one summary line (`pnpm dev` runs it on every start).
 */
import { normalizeErrorString } from '@medplum/core';
import { isLoopbackUrl } from '@org/config';
import { MODEL_KEYS, SEED_IDS } from '../ids.ts';
import { DEV_ADMIN_TRIED, MISSING_ADMIN_CREDENTIALS, signInAsAdmin } from './admin-client.ts';
import { loadCliEnv } from './cli-env.ts';
import { DEV_ADMIN, projectAdminEntries } from './dev-admin.ts';
import { updateEnvFile } from './env-file.ts';
import { buildAuthModel, buildEmulatorSeed } from './model/index.ts';
import { type AuthModelOverrides, withOverrides } from './model/options.ts';
import { type ProvisionReport, provisionProject } from './provision.ts';
import { publicUrlOptions } from './public-urls.ts';

const ENV_NAMES: Record<string, { id: string; secret?: string }> = {
  [MODEL_KEYS.webClient]: { id: 'NEXT_PUBLIC_MEDPLUM_CLIENT_ID' },
  [MODEL_KEYS.proxyClient]: { id: 'PROXY_MEDPLUM_CLIENT_ID', secret: 'PROXY_MEDPLUM_CLIENT_SECRET' },
  [MODEL_KEYS.deviceClient]: { id: 'DEVICE_MEDPLUM_CLIENT_ID', secret: 'DEVICE_MEDPLUM_CLIENT_SECRET' },
  [MODEL_KEYS.pipelineClient]: { id: 'PIPELINE_MEDPLUM_CLIENT_ID', secret: 'PIPELINE_MEDPLUM_CLIENT_SECRET' },
};

const LIFETIME = /^\d+[smhdwy]$/;
const CLIENTS = ['web', 'proxy', 'device', 'pipeline'] as const;

/**
 * `--access-token-lifetime 1h` sets every client's access-token lifetime; `--access-token-lifetime web=1m` one
 * client's (repeatable). Lifetimes use Medplum's format, e.g. 30s, 1m, 1h.
 */
function accessTokenLifetimeOptions(values: string[]): AuthModelOverrides {
  const options: AuthModelOverrides = {};
  for (const value of values) {
    const [client, lifetime] = value.includes('=') ? value.split('=', 2) : [undefined, value];
    if (!lifetime || !LIFETIME.test(lifetime) || (client && !CLIENTS.includes(client as (typeof CLIENTS)[number]))) {
      throw new Error(
        `--access-token-lifetime takes a lifetime such as 1h, or ${CLIENTS.join('|')}=<lifetime>, got ${value}`
      );
    }
    if (client) options[client as (typeof CLIENTS)[number]] = { accessTokenLifetime: lifetime };
    else options.accessTokenLifetime = lifetime;
  }
  return options;
}

/** `--web-origin` (repeatable) and `--device-url`: where the apps are reachable (see public-urls.ts). */
const URL_FLAGS = {
  'web-origin': { type: 'string', multiple: true },
  'device-url': { type: 'string' },
} as const;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function seed(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, 'access-token-lifetime': { type: 'string', multiple: true }, ...URL_FLAGS },
  });
  const { model } = loadCliEnv('seed');
  const file = values.out ?? '.data/emulator-seed.json';
  const withUrls = withOverrides(model, publicUrlOptions(values));
  const bundle = buildEmulatorSeed(
    withOverrides(withUrls, accessTokenLifetimeOptions(values['access-token-lifetime'] ?? []))
  );
  // The local project admin (device fleet, catalogue pipeline): the emulator's seed only, never provisioned.
  bundle.entry?.push(...projectAdminEntries(SEED_IDS.project, DEV_ADMIN));
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 });
  out(`wrote ${bundle.entry?.length ?? 0} resources to ${file} (contains dev secrets; mode 0600)`);
}

/** Writes the ids and Medplum-generated secrets of the clients this run created to `file`; prints names only. */
async function saveNewClients(report: ProvisionReport, file: string): Promise<void> {
  if (report.newClients.length === 0) return;
  const assignments: Record<string, string> = {};
  for (const client of report.newClients) {
    const names = ENV_NAMES[client.key];
    if (!names) continue;
    assignments[names.id] = client.clientId;
    if (names.secret && client.clientSecret) assignments[names.secret] = client.clientSecret;
  }
  const written = await updateEnvFile(file, assignments);
  out(`wrote ${written.join(', ')} to ${file} (values not shown)`);
}

async function provision(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    // Not `--env-file`: Node itself takes that flag anywhere on the command line, even after the script, loads the file
    // into the environment and exits when it does not exist yet.
    options: { check: { type: 'boolean' }, quiet: { type: 'boolean' }, 'env-out': { type: 'string' }, ...URL_FLAGS },
  });
  const urls = publicUrlOptions(values);
  const { medplumBaseUrl, model: options, admin, localDefault, envLocalFile } = loadCliEnv('provision');
  if (!admin) fail(`provision of ${medplumBaseUrl} ${MISSING_ADMIN_CREDENTIALS}`);
  if (!isLoopbackUrl(medplumBaseUrl) && /@example\.(com|org|net)$/i.test(options.devUser.email)) {
    fail(
      'DEV_PRACTITIONER_EMAIL is a placeholder address. Medplum users are global: inviting it on a real server would ' +
        'add whoever owns that address to your project. Set it to an address you control.'
    );
  }
  const medplum = await signInAsAdmin(medplumBaseUrl, admin).catch((error: Error) =>
    fail(localDefault ? `${error.message}\n${DEV_ADMIN_TRIED}` : error.message)
  );
  if (!isLoopbackUrl(medplumBaseUrl) && (!urls.web || !urls.device)) {
    out(
      'note: without --web-origin and --device-url the model registers localhost redirect URIs, webhook endpoint and ' +
        'JWKS URL, which a remote Medplum cannot reach; pass the public URLs of your web app and device.'
    );
  }
  const model = buildAuthModel(withOverrides(options, urls));
  const check = values.check ?? false;
  // --quiet (`pnpm dev` on every start): the changes only, then one line; nothing but that line when nothing changed.
  const quiet = values.quiet ?? false;
  const who = `ClientApplication/${admin.clientId}${localDefault ? " (the emulator's dev admin)" : ''}`;
  if (!quiet) out(`${check ? 'checking' : 'provisioning'} ${medplumBaseUrl} with ${who}`);
  const report = await provisionProject(medplum, model, {
    check,
    log: (line, step) => {
      if (!quiet || step.action !== 'unchanged') out(`  ${line}`);
    },
  });
  const { counts } = report;
  const summary =
    `${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged` +
    (check ? `, ${counts.drift} drifted, ${counts.missing} missing` : '');
  out(
    quiet
      ? `${check ? 'checked' : 'provisioned'} ${medplumBaseUrl}: ${summary}`
      : `project ${report.projectId}: ${summary}`
  );
  await saveNewClients(report, values['env-out'] ?? envLocalFile);
  if (check && counts.drift + counts.missing > 0) process.exit(1);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'seed') await seed(rest);
  else if (command === 'provision') await provision(rest);
  else {
    fail(
      'usage: cli.ts seed [--out FILE] [--access-token-lifetime [web|proxy|device=]1h]… [--web-origin URL]… [--device-url URL]\n' +
        '       cli.ts provision [--check] [--quiet] [--env-out FILE] [--web-origin URL]… [--device-url URL]'
    );
  }
} catch (error) {
  fail(`failed: ${normalizeErrorString(error)}`);
}
