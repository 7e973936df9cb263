import { contractTargetProblem } from './preflight.ts';

/** Vitest global setup: a bad contract-suite setting stops the run with one message and exit code 1. */
export default async function setup(): Promise<void> {
  // biome-ignore lint/style/noProcessEnv: the person running the suite picks its target; this is the suite's only input.
  const problem = await contractTargetProblem(process.env);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
