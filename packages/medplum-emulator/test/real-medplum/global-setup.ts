import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import contractPreflight from '../contract/global-setup.ts';
import { RUN_TAG_SYSTEM } from '../contract/provision.ts';

/**
 * Global setup of `vitest.real-medplum.config.ts`: starts a separate emulator process through its CLI, seeded with
 * nothing but what a person pointing the suite at a real Medplum has — one project and a project-admin
 * ClientApplication — and hands it to the contract and conformance suites as MEDPLUM_CONTRACT_* (the same settings a
 * real Medplum is given). Everything else the suites need they provision through the admin API, as they would there.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'real-medplum-mode-'));
  const projectAdmin = projectAdminSeed();
  const seedFile = join(dir, 'project-admin.json');
  writeFileSync(seedFile, JSON.stringify(projectAdmin.seed));
  const [port, idpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['src/cli.ts', '--seed', seedFile], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      EMULATOR_PORT: String(port),
      IDP_PORT: String(idpPort),
      IDP_ISSUER: `http://localhost:${idpPort}`,
      // The suites sign in far more often than one person would; the emulator's limit has tests of its own.
      EMULATOR_AUTH_RATE_LIMIT: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await ready(child);

  // biome-ignore-start lint/style/noProcessEnv: the suites read their target from these, exactly as against a real Medplum.
  process.env.MEDPLUM_CONTRACT_BASE_URL = `http://localhost:${port}/`;
  process.env.MEDPLUM_CONTRACT_CLIENT_ID = projectAdmin.clientId;
  process.env.MEDPLUM_CONTRACT_CLIENT_SECRET = projectAdmin.secret;
  // biome-ignore-end lint/style/noProcessEnv: the suites read their target from these, exactly as against a real Medplum.
  await contractPreflight();

  return async () => {
    const left = await taggedLeftovers(`http://localhost:${port}/`, projectAdmin);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
    // Provisioning that does not clean up would fill a real test project run after run: fail the run instead.
    if (left.length > 0) throw new Error(`The suites left provisioned resources behind: ${left.join(', ')}`);
  };
}

/** The resource types the seeds provision through FHIR writes, each carrying the run's tag. */
const PROVISIONED_TYPES = [
  'AccessPolicy',
  'ClientApplication',
  'Device',
  'Encounter',
  'Observation',
  'Organization',
  'Patient',
  'Practitioner',
  'ServiceRequest',
  'SmartAppLaunch',
  'StructureDefinition',
  'Task',
];

async function taggedLeftovers(baseUrl: string, admin: { clientId: string; secret: string }): Promise<string[]> {
  const query = new URLSearchParams({ _type: PROVISIONED_TYPES.join(','), _tag: `${RUN_TAG_SYSTEM}|`, _count: '100' });
  const response = await fetch(`${baseUrl}fhir/R4?${query}`, {
    headers: { Authorization: `Basic ${Buffer.from(`${admin.clientId}:${admin.secret}`).toString('base64')}` },
  });
  if (!response.ok) throw new Error(`searching for leftovers failed: ${response.status} ${await response.text()}`);
  const bundle = (await response.json()) as Bundle;
  return (bundle.entry ?? []).map((entry) => `${entry.resource?.resourceType}/${entry.resource?.id}`);
}

/** A project with one admin ClientApplication: the only thing the suites are given, as on a real Medplum. */
function projectAdminSeed(): { seed: Bundle; clientId: string; secret: string } {
  const projectId = randomUUID();
  const clientId = randomUUID();
  const secret = randomBytes(32).toString('hex');
  const meta = { project: projectId };
  const seed: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { resource: { resourceType: 'Project', id: projectId, name: 'Contract suite project', meta } },
      { resource: { resourceType: 'ClientApplication', id: clientId, name: 'Contract suite admin', secret, meta } },
      {
        resource: {
          resourceType: 'ProjectMembership',
          id: randomUUID(),
          meta,
          project: { reference: `Project/${projectId}` },
          user: { reference: `ClientApplication/${clientId}` },
          profile: { reference: `ClientApplication/${clientId}` },
          admin: true,
        },
      },
    ],
  };
  return { seed, clientId, secret };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves on the CLI's ready line; rejects with its output when it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Medplum emulator ready at')) resolve();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready:\n${output}`)));
  });
}
