/**
 * For process-groups.int.test.ts: supervises one child, prints the pid of the process to watch, then a line every
 * 20 ms, as `pnpm dev` forwards its children's output. The child is silent: one that wrote to a closed pipe would end
 * by itself, proving nothing. The argument picks a case:
 * - `throw`: this process ends with an uncaught error;
 * - `stubborn`: the child ignores SIGTERM;
 * - `leader-exits`: the child starts a process of its own (in its group) and exits, and this process stops everything
 *   when it sees that, as `pnpm dev` does when an app exits; the watched pid is the one left behind.
 */
import { superviseProcessGroups } from './process-groups.ts';

const RUN = 'setInterval(() => {}, 60_000);';
const children: Record<string, string> = {
  stubborn: `process.on('SIGTERM', () => {}); ${RUN}`,
  'leader-exits': `const left = require('node:child_process').spawn(process.execPath, ['-e', '${RUN}'], { stdio: 'ignore' });
console.log('pid ' + left.pid); setTimeout(() => process.exit(0), 100);`,
};
const mode = process.argv[2] ?? '';
const groups = superviseProcessGroups();
const child = groups.start(process.execPath, ['-e', children[mode] ?? RUN], {
  cwd: import.meta.dirname,
  env: process.env,
});
if (mode === 'leader-exits') {
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => process.stdout.write(chunk));
  child.on('exit', () => groups.stopAll(1));
} else {
  process.stdout.write(`pid ${child.pid}\n`);
}
setInterval(() => process.stdout.write('tick\n'), 20);
if (mode === 'throw') {
  setTimeout(() => {
    throw new Error('an unexpected failure');
  }, 200);
}
