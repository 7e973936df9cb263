import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNodeScript } from '@org/auth/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './config.ts';
import { orderLabTest, resultsFor, startWorld, type World } from './harness.ts';

/** `node src/cli.ts …` as a person runs it: a real process, no build step, configuration from the environment. */
const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return runNodeScript(cli, { args, env: { ...process.env, ...env } });
}

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('device CLI', () => {
  it('prints its usage', async () => {
    const { code, out } = await run(['help'], {});
    expect(code).toBe(0);
    expect(out).toContain('device <command>');
  });

  it('sends the results of the orders in a file, then `status` shows them confirmed', async () => {
    const order = await orderLabTest(world, { code: '4548-4' });
    await world.emulator.idle();
    await world.device.uploader.whenEmpty();
    const file = join(tempDir(), 'order.json');
    writeFileSync(file, JSON.stringify(order));
    const env = {
      MEDPLUM_BASE_URL: world.emulator.url,
      DEVICE_DATA_DIR: tempDir('device-cli-'),
      // Port 9 (discard): nothing listens there, so `status` must say the device is not running.
      DEVICE_WEBHOOK_PORT: '9',
    };
    const sent = await run(['send', file], env);
    expect(sent.out).toContain('sent 1 result in 1 transaction');
    expect(sent.code).toBe(0);
    // The running device had already posted this order's results: the CLI's conditional creates found them.
    expect(sent.out).toContain('0 created, 2 already there');
    const { reports, observations } = await resultsFor(world, order.id);
    expect([reports.length, observations.length]).toEqual([1, 1]);

    const status = await run(['status'], env);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/sent\s+1 \(confirmed by Medplum\)/);
    expect(status.out).toContain('not running');
  });

  it('refuses an unknown command', async () => {
    const { code, out } = await run(['frobnicate'], {});
    expect(code).toBe(2);
    expect(out).toContain('Unknown command');
  });
});
