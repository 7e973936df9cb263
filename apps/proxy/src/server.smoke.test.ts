import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | undefined;

afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

/** Waits for the start-up log line and returns the port it names. */
function startServer(): Promise<number> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [join(import.meta.dirname, 'server.ts')], {
      env: { ...process.env, PROXY_PORT: '0', MEDPLUM_BASE_URL: 'http://localhost:9/' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const port = /listening on 127\.0\.0\.1:(\d+)\)/.exec(output)?.[1];
      if (port) resolve(Number(port));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
}

describe('node src/server.ts', () => {
  it('starts with no build step and answers /healthz (Medplum not needed for liveness)', async () => {
    const port = await startServer();
    const response = await fetch(`http://localhost:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`http://localhost:${port}/readyz`);
    expect(ready.status).toBe(503);
  });
});
