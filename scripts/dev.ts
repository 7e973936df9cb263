/**
 * `pnpm dev`: every part of the story on this machine, in dependency order, with one banner when all are ready.
 *
 *   1. check the configuration once (one message listing every problem) and that every port is free;
 *   2. write the emulator's seed from the auth model (`@org/auth` provisioning) into .data/;
 *   3. start the Medplum emulator (+ Acme SSO) and wait until it answers, so nothing else crash-loops meanwhile, bring
 *      its data up to the auth model (`provision`, as the seed's dev admin), then publish the lab catalogue through the
 *      pipeline's CLI (apps/catalog-pipeline);
 *   4. start the web app and the proxy as soon as provisioning is done (Next's first page compile is the longest step,
 *      and it needs only the client ids provisioning may write), the device once the catalogue it reads at start is
 *      published; wait for each;
 *   5. print the banner; Ctrl-C stops everything (each child runs in its own process group, and none outlives this
 *      process however it ends: dev/process-groups.ts).
 *
 * Data survives restarts in .data/emulator.json. The seed only adds what that file never held, so step 3's `provision`
 * is what updates data written under an older auth model (policies, missing clients); delete .data/ only to start over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  composeSchemas,
  deviceSchema,
  devUserSchema,
  emulatorSchema,
  identityProviderSchema,
  loadConfig,
  loadConfigOrExit,
  medplumSchema,
  proxySchema,
  webBrowserSchema,
} from '@org/config';
import { readableLogLine } from '@org/runtime';
import { superviseProcessGroups } from './dev/process-groups.ts';

const root = join(import.meta.dirname, '..');
const dataDir = join(root, '.data');
const startedAt = performance.now();

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const allSchemas = composeSchemas(
  medplumSchema,
  webBrowserSchema,
  identityProviderSchema,
  proxySchema,
  deviceSchema,
  emulatorSchema,
  devUserSchema
);
const config = loadConfigOrExit(allSchemas);
const defaults = loadConfig(allSchemas, { env: {}, envFiles: [] });
/** The banner shows the public dev passwords, never one the user set. */
const shown = (value: string, fallback: string, variable: string) =>
  value === fallback ? value : `(your ${variable})`;
const WEB_PORT = 3000;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => server.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}

const ports: [string, number][] = [
  ['the emulator (EMULATOR_PORT)', config.EMULATOR_PORT],
  ['Acme SSO (IDP_PORT)', config.IDP_PORT],
  ['the web app', WEB_PORT],
  ['the proxy (PROXY_PORT)', config.PROXY_PORT],
  ['the device (DEVICE_WEBHOOK_PORT)', config.DEVICE_WEBHOOK_PORT],
];
const busy = [];
for (const [name, port] of ports) if (!(await portIsFree(port))) busy.push(`  - ${port}, for ${name}`);
if (busy.length > 0) {
  fail(
    `Cannot start: ${busy.length === 1 ? 'a port is' : 'ports are'} already in use:\n${busy.join('\n')}\n` +
      'Stop whatever holds them (another `pnpm dev`?) or choose other ports in .env (see .env.example).'
  );
}

mkdirSync(dataDir, { recursive: true });
const seedFile = join(dataDir, 'seed.json');
const seed = spawnSync(
  process.execPath,
  [join(root, 'packages/auth/src/provisioning/cli.ts'), 'seed', '--out', seedFile],
  {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  }
);
if (seed.status !== 0) fail('Could not write the emulator seed (see the message above).');

interface Service {
  name: string;
  command: string[];
  cwd: string;
  /** Answers 2xx/3xx/4xx once the service listens. */
  readyUrl: string;
  env?: Record<string, string>;
  /** Reads the lab catalogue at start, so starts only once `publishLabCatalogue` is done. */
  readsCatalogue?: boolean;
}

const groups = superviseProcessGroups();
// The children write JSON log lines (their stdout is a pipe); on a terminal, show them as the readable line instead.
const show = process.stdout.isTTY ? readableLogLine(true) : (line: string) => line;

function start(service: Service): void {
  // Ctrl-C during the start-up steps: nothing more is started after the stop began.
  if (groups.stopping) return;
  const [command, ...args] = service.command as [string, ...string[]];
  const child = groups.start(command, args, { cwd: service.cwd, env: { ...process.env, ...service.env } });
  const prefix = `[${service.name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${prefix}${show(line)}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    if (groups.stopping) return;
    process.stderr.write(`${prefix}exited (${signal ?? `code ${code}`}); stopping everything.\n`);
    groups.stopAll(1);
  });
}

async function waitUntilReady(service: Service, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (groups.stopping) return;
    try {
      // Held up to the deadline, not cut short: Next's dev server compiles the page on its first request (about 8 s on
      // two cores with an empty cache), and a request given up midway only makes the next one wait for the same work.
      const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
      const response = await fetch(service.readyUrl, { redirect: 'manual', signal });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // Stop what was started too: each child runs in its own process group and would outlive this one, holding its port.
  process.stderr.write(
    `[${service.name}] did not answer ${service.readyUrl} within ${timeoutMs / 1000} s; see its output above.\n`
  );
  groups.stopAll(1);
}

/**
 * A Node script run to its end with its output collected. Not spawnSync: while this process waits, it must keep reading
 * the emulator's output, or the emulator blocks on a full pipe and never answers the script.
 */
function runToEnd(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(node, [script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (c) => (output += c));
    child.once('error', (error) => resolve({ ok: false, lines: [error.message] }));
    child.once('close', (code) => resolve({ ok: code === 0, lines: output.trim().split('\n').filter(Boolean) }));
  });
}

/**
 * Brings the emulator's data up to the auth model with the same `provision` a real Medplum gets, signed in as the dev
 * admin of the seed (no admin settings needed on this machine): a .data/ written before the model changed gets the
 * current policies and any missing client (its new id and secret go to .env.local, which the apps read), and keeps
 * its users' data. Idempotent: on data already up to date it writes nothing and prints one line.
 * Not fatal: the data then stays as it was, which the previous `pnpm dev` ran on, and the emulator keeps running; a
 * hard stop would lock people out of their local data over, say, an admin client set for another Medplum.
 */
async function provisionLocalEmulator(): Promise<void> {
  const env = { ...process.env, MEDPLUM_BASE_URL: emulatorUrl }; // this emulator only, whatever .env says
  const script = join(root, 'packages/auth/src/provisioning/cli.ts');
  const result = await runToEnd(script, ['provision', '--quiet'], env);
  for (const line of result.lines) process.stdout.write(`[provision] ${line}\n`);
  if (!result.ok) {
    process.stderr.write(
      "[provision] the emulator's data was not brought up to the auth model (reason above); starting on it as it is.\n" +
        '[provision] Retry with `pnpm medplum:provision` while this runs, or stop and delete .data/ to start over.\n'
    );
  }
}

/**
 * The lab catalogue the order form offers and the analyzer runs, published by the same CLI CI runs
 * (apps/catalog-pipeline), as the pipeline's own client (which `provisionLocalEmulator` made sure exists). Idempotent:
 * on a restart it writes nothing. A failure is reported, not fatal: only the order form's list of tests is missing.
 */
async function publishLabCatalogue(): Promise<void> {
  const result = await runToEnd(join(root, 'apps/catalog-pipeline/src/cli.ts'), [], process.env);
  if (groups.stopping) return; // everything is stopping (an app exited, or Ctrl-C): the emulator it talked to is going too
  process.stdout.write(`[catalog] ${result.lines.at(-1) ?? ''}\n`);
  if (!result.ok) {
    process.stderr.write('[catalog] the lab catalogue was not published; the order form will offer no tests.\n');
  }
}

const node = process.execPath;
const emulatorUrl = `http://localhost:${config.EMULATOR_PORT}/`;
const emulator: Service = {
  name: 'emulator',
  command: [
    node,
    'src/cli.ts',
    '--seed',
    seedFile,
    '--data-file',
    config.EMULATOR_DATA_FILE ?? join(dataDir, 'emulator.json'),
  ],
  cwd: join(root, 'packages/medplum-emulator'),
  readyUrl: `${emulatorUrl}.well-known/openid-configuration`,
};
const apps: Service[] = [
  {
    name: 'proxy',
    command: [node, 'src/server.ts'],
    cwd: join(root, 'apps/proxy'),
    readyUrl: `http://localhost:${config.PROXY_PORT}/healthz`,
  },
  {
    name: 'device',
    command: [node, 'src/cli.ts', 'run'],
    cwd: join(root, 'apps/device'),
    readyUrl: `http://localhost:${config.DEVICE_WEBHOOK_PORT}/healthz`,
    readsCatalogue: true,
  },
  {
    name: 'web',
    // Loopback only, like every app here; `next start --hostname 0.0.0.0` is the production choice to make deliberately.
    command: [
      node,
      join(root, 'apps/web/node_modules/next/dist/bin/next'),
      'dev',
      '--port',
      String(WEB_PORT),
      '--hostname',
      '127.0.0.1',
    ],
    cwd: join(root, 'apps/web'),
    readyUrl: `http://localhost:${WEB_PORT}/`,
  },
];

start(emulator);
await waitUntilReady(emulator);
if (!groups.stopping) await provisionLocalEmulator();
for (const app of apps) if (!app.readsCatalogue) start(app);
if (!groups.stopping) await publishLabCatalogue();
for (const app of apps) if (app.readsCatalogue) start(app);
await Promise.all(apps.map((app) => waitUntilReady(app)));

const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
const banner = [
  '',
  `Everything is running (ready in ${seconds} s). Ctrl-C stops it all.`,
  '',
  `  Start here       http://localhost:${WEB_PORT}/            the landing page: three patterns, one story`,
  `  Web app          http://localhost:${WEB_PORT}/signin      pattern 1, client side`,
  `  Legacy app       http://localhost:${config.PROXY_PORT}/            pattern 2, server side (proxy)`,
  `  Lab analyzer     http://localhost:${config.DEVICE_WEBHOOK_PORT}/            pattern 3, device`,
  `  Medplum          ${emulatorUrl}            local emulator`,
  `  Acme SSO         http://localhost:${config.IDP_PORT}/            external identity provider`,
  '',
  `  Web app / Acme SSO sign-in   ${config.DEV_PRACTITIONER_EMAIL} / ${shown(config.DEV_PRACTITIONER_PASSWORD, defaults.DEV_PRACTITIONER_PASSWORD, 'DEV_PRACTITIONER_PASSWORD')}`,
  `  Legacy app sign-in           ${config.LEGACY_DEV_USERNAME} / ${shown(config.LEGACY_DEV_PASSWORD, defaults.LEGACY_DEV_PASSWORD, 'LEGACY_DEV_PASSWORD')}`,
  '  (public development credentials; data is kept in .data/ and updated to the auth model on every start — delete it to start over)',
  '',
];
if (!groups.stopping) process.stdout.write(`${banner.join('\n')}\n`);
