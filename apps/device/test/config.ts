import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@org/config';
import { type DeviceConfig, deviceConfigSchema } from '../src/config.ts';

export function tempDir(prefix = 'device-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The dev defaults, with a fresh data folder unless one is given. */
export function testConfig(overrides: Record<string, string> = {}): DeviceConfig {
  return parseConfig(deviceConfigSchema, { DEVICE_DATA_DIR: tempDir(), ...overrides });
}
