/**
 * The only file of the device that touches the environment: load and validate once, at start-up. On a bad
 * configuration it prints every problem and exits (no stack trace, no secret values).
 */
import { isAbsolute, resolve } from 'node:path';
import { loadConfigOrExit, loadEnvInput, workspaceRoot } from '@org/config';
import { type DeviceConfig, deviceConfigSchema, type SettingSource } from './config.ts';

export interface LoadedDeviceConfig {
  config: DeviceConfig;
  /** Whether DEVICE_AUTH_METHOD was set (environment or .env file) or is the default. */
  authMethodSource: SettingSource;
}

export function loadDeviceConfig(): LoadedDeviceConfig {
  const loaded = loadConfigOrExit(deviceConfigSchema);
  // A relative DEVICE_DATA_DIR means the repository's .data/ (next to the emulator's data), wherever the device was
  // started from, so deleting .data/ resets everything at once.
  const dataDir = isAbsolute(loaded.DEVICE_DATA_DIR)
    ? loaded.DEVICE_DATA_DIR
    : resolve(workspaceRoot(process.cwd()) ?? process.cwd(), loaded.DEVICE_DATA_DIR);
  const config: DeviceConfig = Object.freeze({ ...loaded, DEVICE_DATA_DIR: dataDir });
  // Set in the environment or an env file, or left to its default (only for the log line that says why this method).
  const explicit = loadEnvInput().DEVICE_AUTH_METHOD;
  const authMethodSource: SettingSource =
    (explicit !== undefined && explicit !== '') || config.DEVICE_AUTH_METHOD !== 'client-credentials'
      ? 'environment'
      : 'default';
  return { config, authMethodSource };
}
