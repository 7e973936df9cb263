/**
 * Proxy instances as real processes on 127.0.0.1 (each its own PID, stopped or killed by it), and a small HTTP client
 * that can pick its source address (127.0.0.x are all this machine) to act as different clients of a load balancer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import type { ProxySettings } from '../src/config.ts';
import { ORIGIN } from './helpers.ts';
import { freePort } from './redis-server.ts';

const ROOT = join(import.meta.dirname, '..');

export interface ProxyProcess {
  url: string;
  port: number;
  /** Everything it printed so far (JSON log lines). */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** A new process on the same port (after a kill). */
  restart(): Promise<void>;
}

/** Runs test/proxy-instance.ts and resolves once it listens; rejects with its output if it exits first. */
export async function startProxyProcess(
  env: Record<string, string>,
  settings: Partial<ProxySettings> = {}
): Promise<ProxyProcess> {
  const port = await freePort();
  let child: ChildProcess;
  let output = '';
  const start = async () => {
    const args = [join(ROOT, 'test/proxy-instance.ts'), JSON.stringify(settings)];
    const started = spawn(process.execPath, args, {
      // Only what the test sets: a developer's own PROXY_* variables must not change what is tested.
      env: { PROXY_LISTEN_HOST: '127.0.0.1', ...env, PROXY_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes(`listening on 127.0.0.1:${port}`)) resolve();
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', onData);
      started.once('exit', (code) => reject(new Error(`proxy exited with ${code}:\n${output}`)));
    });
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.pid) process.kill(child.pid, signal);
      await exited;
    },
    restart: start,
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request as a browser would send it to the API (X-CSRF, the public Origin, the session cookie), from `from`
 * (a loopback address) so per-address limits see distinct clients. Linux routes all of 127.0.0.0/8 to loopback; macOS
 * only 127.0.0.1 unless aliased (`sudo ifconfig lo0 alias 127.0.0.2`).
 */
export function call(
  base: string,
  path: string,
  options: { method?: string; cookie?: string; json?: unknown; from?: string } = {}
): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { 'X-CSRF': '1', Origin: ORIGIN };
  if (options.cookie) headers.Cookie = options.cookie;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.method ?? 'GET', headers, localAddress: options.from ?? '127.0.0.1', agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      }
    );
    req.once('error', reject);
    req.end(body);
  });
}

/** Signs in through `base` and returns the `name=value` pair of the session cookie. */
export async function signInAt(base: string, username: string, password: string, from?: string): Promise<string> {
  const reply = await call(base, '/api/session', {
    method: 'POST',
    json: { username, password },
    ...(from ? { from } : {}),
  });
  if (reply.status !== 200) throw new Error(`sign-in at ${base} failed: ${reply.status} ${reply.body}`);
  return String(reply.headers['set-cookie']).split(';')[0] ?? '';
}
