import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeviceCredentials } from './fleet.ts';

/**
 * Writes a device's credentials as JSON, mode 0600 (also when the file already existed with wider permissions: it is
 * replaced, not rewritten in place), so the secret only ever lands on disk for the device's own account.
 */
export async function writeCredentialsFile(path: string, credentials: DeviceCredentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
