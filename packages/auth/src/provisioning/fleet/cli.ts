#!/usr/bin/env node
/**
 * The device fleet, as a project admin (MEDPLUM_ADMIN_CLIENT_ID / _SECRET, as for `pnpm medplum:provision`):
 *   node src/provisioning/fleet/cli.ts enroll --name NAME [--auth client-credentials|private-key-jwt] [--jwks-url URL] [--webhook-url URL] --out FILE
 *   node src/provisioning/fleet/cli.ts rotate --client ID --out FILE      (new secret; the old one keeps working)
 *   node src/provisioning/fleet/cli.ts rotate --client ID --retire        (the old secret stops working)
 *     (a private_key_jwt device has no secret to rotate: its operator runs `pnpm device:rotate-key` on the device)
 *   node src/provisioning/fleet/cli.ts revoke --client ID                 (refused at once, held tokens included)
 *   node src/provisioning/fleet/cli.ts list
 * Credentials go to --out (JSON, mode 0600), never to the terminal. Any refusal is one line on stderr and exit 1.
 */
import { parseArgs } from 'node:util';
import type { MedplumClient } from '@medplum/core';
import { normalizeErrorString } from '@medplum/core';
import { DEV_ADMIN_TRIED, MISSING_ADMIN_CREDENTIALS, signInAsAdmin } from '../admin-client.ts';
import { loadAdminCliEnv } from '../cli-env.ts';
import { writeCredentialsFile } from './credentials-file.ts';
import { type DeviceAuthMethod, enrollDevice, listDevices, revokeDevice, rotateDeviceSecret } from './fleet.ts';

const USAGE =
  'usage: device:enroll --name NAME [--auth client-credentials|private-key-jwt] [--jwks-url URL] [--webhook-url URL] --out FILE\n' +
  '       device:rotate --client ID (--out FILE | --retire)   (private_key_jwt devices: device:rotate-key on the device)\n' +
  '       device:revoke --client ID\n' +
  '       device:list';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`--${flag} is required\n${USAGE}`);
  return value;
}

async function admin(): Promise<MedplumClient> {
  const { medplumBaseUrl, admin: credentials, localDefault } = loadAdminCliEnv();
  if (!credentials) throw new UsageError(`the device fleet commands ${MISSING_ADMIN_CREDENTIALS}`);
  return signInAsAdmin(medplumBaseUrl, credentials).catch((error: Error) => {
    // The local default only exists in the emulator's seed (`pnpm dev`); a local Medplum needs its own admin client.
    throw localDefault ? new Error(`${error.message}\n${DEV_ADMIN_TRIED}`) : error;
  });
}

async function enroll(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      auth: { type: 'string' },
      'jwks-url': { type: 'string' },
      'webhook-url': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const name = required(values.name, 'name');
  const file = required(values.out, 'out');
  const auth = (values.auth ?? 'client-credentials') as DeviceAuthMethod;
  if (auth !== 'client-credentials' && auth !== 'private-key-jwt') {
    throw new UsageError(`--auth is client-credentials or private-key-jwt, got ${auth}`);
  }
  const credentials = await enrollDevice(await admin(), {
    name,
    auth,
    ...(values['jwks-url'] ? { jwksUrl: values['jwks-url'] } : {}),
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
  });
  await writeCredentialsFile(file, credentials);
  out(
    `enrolled ${name}: Device/${credentials.deviceId}, ClientApplication/${credentials.clientId}; credentials in ${file} (mode 0600)`
  );
}

async function rotate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { client: { type: 'string' }, out: { type: 'string' }, retire: { type: 'boolean' } },
  });
  const clientId = required(values.client, 'client');
  if (values.retire) {
    await rotateDeviceSecret(await admin(), clientId, { retire: true });
    out(`retired the old secret of ClientApplication/${clientId}: only the new one works now`);
    return;
  }
  const file = required(values.out, 'out');
  const credentials = await rotateDeviceSecret(await admin(), clientId, { retire: false });
  if (credentials) await writeCredentialsFile(file, credentials);
  out(
    `new secret for ClientApplication/${clientId} in ${file} (mode 0600); the old one keeps working until ` +
      `\`pnpm device:rotate --client ${clientId} --retire\``
  );
}

async function revoke(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { client: { type: 'string' } } });
  const clientId = required(values.client, 'client');
  await revokeDevice(await admin(), clientId);
  out(`revoked ClientApplication/${clientId}: no new tokens, and the ones it holds are refused`);
}

async function list(): Promise<void> {
  const devices = await listDevices(await admin());
  if (devices.length === 0) {
    out('no fleet devices (enroll one with `pnpm device:enroll --name NAME --out FILE`)');
    return;
  }
  // Medplum keeps sign-ins as Login resources, which project admins cannot read: no "last token" column.
  out(['name', 'device', 'client', 'auth', 'status'].join('\t'));
  for (const d of devices) {
    const status = d.rotating ? `${d.status} (rotating)` : d.status;
    out(
      [
        d.name,
        `Device/${d.deviceId}`,
        d.clientId ? `ClientApplication/${d.clientId}` : '-',
        d.auth ?? '-',
        status,
      ].join('\t')
    );
  }
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { enroll, rotate, revoke, list };

const [command, ...rest] = process.argv.slice(2);
const run = command ? COMMANDS[command] : undefined;
try {
  if (!run) throw new UsageError(USAGE);
  await run(rest);
} catch (error) {
  const message =
    error instanceof Error && !(error as { outcome?: unknown }).outcome ? error.message : normalizeErrorString(error);
  process.stderr.write(`${command ?? 'device'}: ${message}\n`);
  process.exit(1);
}
