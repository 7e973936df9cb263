import { spawn } from 'node:child_process';

/**
 * `node <script> [args]` as a person runs it, to its end: the exit code and everything it printed (stdout and stderr
 * interleaved as they arrived). `env` is the child's whole environment; spread `process.env` into it to inherit.
 */
export function runNodeScript(
  script: string,
  options: { args?: string[]; env: NodeJS.ProcessEnv }
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const collect = (chunk: Buffer) => {
      out += chunk;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}
