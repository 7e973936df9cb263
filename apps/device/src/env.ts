/**
 * The only file of the device that touches the environment: load and validate once, at start-up. On a bad
 * configuration it prints every problem and exits (no stack trace, no secret values).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadConfigOrExit } from '@org/config';
import { type DeviceConfig, deviceConfigSchema, type SettingSource } from './config.ts';

export interface LoadedEnv {
  config: DeviceConfig;
  /** Whether DEVICE_AUTH_METHOD was set (environment or .env file) or is the default. */
  authMethodSource: SettingSource;
}

/** The folder holding pnpm-workspace.yaml, or undefined outside the repository. */
function workspaceRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function loadDeviceEnv(): LoadedEnv {
  const loaded = loadConfigOrExit(deviceConfigSchema);
  // A relative DEVICE_DATA_DIR means the repository's .data/ (next to the emulator's data), wherever the device was
  // started from, so deleting .data/ resets everything at once.
  const dataDir = isAbsolute(loaded.DEVICE_DATA_DIR)
    ? loaded.DEVICE_DATA_DIR
    : resolve(workspaceRoot(process.cwd()) ?? process.cwd(), loaded.DEVICE_DATA_DIR);
  const config: DeviceConfig = Object.freeze({ ...loaded, DEVICE_DATA_DIR: dataDir });
  const explicit = process.env.DEVICE_AUTH_METHOD;
  const authMethodSource: SettingSource =
    (explicit !== undefined && explicit !== '') || config.DEVICE_AUTH_METHOD !== 'client-credentials'
      ? 'environment'
      : 'default';
  return { config, authMethodSource };
}
