/**
 * For process-groups.int.test.ts: supervises one silent child (a child that wrote to a closed pipe would end by itself,
 * proving nothing), prints its pid, then a line every 20 ms, as `pnpm dev` forwards its children's output. `throw` as
 * the argument ends this process with an uncaught error.
 */
import { superviseProcessGroups } from './process-groups.ts';

const groups = superviseProcessGroups();
const child = groups.start(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], {
  cwd: import.meta.dirname,
  env: process.env,
});
process.stdout.write(`pid ${child.pid}\n`);
setInterval(() => process.stdout.write('tick\n'), 20);
if (process.argv[2] === 'throw')
  setTimeout(() => {
    throw new Error('an unexpected failure');
  }, 200);
