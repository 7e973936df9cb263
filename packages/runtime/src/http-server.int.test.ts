import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServerStartError, type RunningHttpServer, startHttpServer } from './http-server.ts';

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'serve.ts');
const running: RunningHttpServer[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
  await Promise.all(blockers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function occupiedPort(): Promise<number> {
  const server = createServer();
  blockers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function runFixture(port: number) {
  const child = spawn(process.execPath, [FIXTURE, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('startHttpServer', () => {
  it('serves a Hono-style fetch handler on 127.0.0.1 and a Node request listener the same way', async () => {
    const hono = await startHttpServer({ fetch: () => new Response('from fetch'), port: 0, name: 'a' });
    const node = await startHttpServer({ listener: (_req, res) => res.end('from listener'), port: 0, name: 'b' });
    running.push(hono, node);
    expect(hono.hostname).toBe('127.0.0.1');
    expect(hono.url).toBe(`http://localhost:${hono.port}/`);
    expect(await (await fetch(`http://127.0.0.1:${hono.port}/`)).text()).toBe('from fetch');
    expect(await (await fetch(`http://127.0.0.1:${node.port}/`)).text()).toBe('from listener');
  });

  it('a port in use: an HttpServerStartError naming the port, who could not start, and the setting to change', async () => {
    const port = await occupiedPort();
    const failure = startHttpServer({
      fetch: () => new Response(),
      port,
      name: 'the proxy',
      portSetting: 'PROXY_PORT',
    });
    await expect(failure).rejects.toBeInstanceOf(HttpServerStartError);
    await expect(failure).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: `Port ${port} on 127.0.0.1 is already in use, so the proxy cannot start. Stop whatever is using it or set PROXY_PORT to another port.`,
    });
  });

  it('an address this machine does not have: a message naming it', async () => {
    const failure = startHttpServer({
      fetch: () => new Response(),
      port: 0,
      hostname: '192.0.2.1',
      name: 'the device',
    });
    await expect(failure).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
      message: expect.stringMatching(/^192\.0\.2\.1 is not an address of this machine/),
    });
  });

  it('close() resolves while a keep-alive connection is open, and the port is free again', async () => {
    const server = await startHttpServer({ fetch: () => new Response('ok'), port: 0, name: 'a' });
    const agentResponse = await new Promise<number | undefined>((resolve, reject) => {
      request(`http://127.0.0.1:${server.port}/`, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
        .on('error', reject)
        .end();
    });
    expect(agentResponse).toBe(200);
    await server.close();
    const again = await startHttpServer({ fetch: () => new Response(), port: server.port, name: 'a' });
    running.push(again);
    expect(again.port).toBe(server.port);
  });
});

describe('a process started with startHttpServer', () => {
  it('port in use: exit 1 with one line on stderr (cause and fix), no stack trace', async () => {
    const port = await occupiedPort();
    const run = runFixture(port);
    expect(await run.exited).toBe(1);
    const { stderr } = run.output();
    expect(stderr).toBe(
      `fixture: Port ${port} on 127.0.0.1 is already in use, so the fixture cannot start. Stop whatever is using it or set FIXTURE_PORT to another port.\n`
    );
  });

  it('SIGTERM: closes the server, then exits 0', async () => {
    const run = runFixture(0);
    const port = await new Promise<number>((resolve) => {
      run.child.stdout.on('data', () => {
        const match = /listening on 127\.0\.0\.1:(\d+)/.exec(run.output().stdout);
        if (match) resolve(Number(match[1]));
      });
    });
    expect(JSON.parse(run.output().stdout.split('\n')[0] as string)).toMatchObject({ level: 'info', port });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain('closed\n');
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
