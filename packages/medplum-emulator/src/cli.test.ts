import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, 'cli.ts');
const folder = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await occupiedPort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectOneCleanMessage(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('cli', () => {
  it('logs one ready entry with its URL (JSON lines: stdout is not a terminal), serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const idpPort = await freePort();
    const child = spawn(process.execPath, [CLI], {
      env: {
        ...process.env,
        EMULATOR_PORT: String(port),
        IDP_PORT: String(idpPort),
        IDP_ISSUER: `http://localhost:${idpPort}`,
      },
      stdio: 'pipe',
    });
    let stdout = '';
    const entries = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: string; name: string; msg: string; url?: string });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Medplum emulator ready at')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code} before the ready line`)));
    });
    const ready = entries().filter((entry) => entry.msg.startsWith('Medplum emulator ready at'));
    expect(ready).toEqual([
      {
        level: 'info',
        time: expect.any(String),
        name: 'medplum-emulator',
        url: `http://localhost:${port}/`,
        msg: expect.stringMatching(
          new RegExp(
            `^Medplum emulator ready at http://localhost:${port}/ \\(data in memory, identity provider at http://localhost:${idpPort}\\)$`
          )
        ),
      },
    ]);
    const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('a port in use: one message with the fix, exit 1, no stack trace', async () => {
    const { port, server } = await occupiedPort();
    try {
      const run = await runCli([], { EMULATOR_PORT: String(port) });
      expectOneCleanMessage(run, new RegExp(`Port ${port} .* already in use.*EMULATOR_PORT`));
    } finally {
      server.close();
    }
  });

  it('an unreadable seed file: one message, exit 1', async () => {
    const run = await runCli(['--seed', join(folder, 'missing.json')], { EMULATOR_PORT: String(await freePort()) });
    expectOneCleanMessage(run, /cannot read the seed file .*missing\.json \(ENOENT\)/);
  });

  it('a seed that is not JSON, or not a Bundle: one message, exit 1', async () => {
    const notJson = join(folder, 'not-json.json');
    writeFileSync(notJson, '{ nope');
    expectOneCleanMessage(
      await runCli(['--seed', notJson], { EMULATOR_PORT: String(await freePort()) }),
      /not valid JSON/
    );
    const notBundle = join(folder, 'not-bundle.json');
    writeFileSync(notBundle, JSON.stringify({ resourceType: 'Patient' }));
    expectOneCleanMessage(
      await runCli(['--seed', notBundle], { EMULATOR_PORT: String(await freePort()) }),
      /seed must be a FHIR Bundle/
    );
  });

  it('an unknown flag: usage, exit 1', async () => {
    const run = await runCli(['--sede', 'x.json'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Usage: medplum-emulator');
  });
});
