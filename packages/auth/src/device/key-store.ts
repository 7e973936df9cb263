import { open, stat } from 'node:fs/promises';
import type { ClientAssertionAlgorithm } from '../server/client-assertion.ts';
import { type DeviceJwks, type DeviceKey, loadOrCreateDeviceKey, parseDeviceKey } from './device-key.ts';

/**
 * The running device's view of its key file. A key rotation (`rotateDeviceKey`, run by the operator in another
 * process) replaces the file; the device sees the change before its next signature and its next JWKS response,
 * without a restart.
 *
 * How: one `stat` before each use, compared with the file as last read (inode, mtime in ns, size). Every write
 * renames a fresh file into place, so each change brings a new inode and mtime. A stat is one syscall and is only
 * paid when a token is requested or Medplum fetches the JWKS, so polling at the point of use is simpler and never
 * late, unlike a file watcher (events coalesced or lost on some file systems, a handle to close, and a window
 * between the change and the event during which the old key would still be used).
 */
export interface DeviceKeyStore {
  readonly file: string;
  /** The keys as the file holds them now (re-read when it was replaced since the last call). */
  current(): Promise<DeviceKey>;
  /** The keys as last read, for log lines. */
  last(): DeviceKey;
  /** The JWKS to serve at the ClientApplication's jwksUri, as the file holds it now. */
  jwks(): Promise<DeviceJwks>;
}

type Version = string;

function versionOf(stats: { ino: bigint; mtimeNs: bigint; size: bigint }): Version {
  return `${stats.ino}:${stats.mtimeNs}:${stats.size}`;
}

/** Opens (or on first start creates) the key in `dataDir` and follows later changes to it. */
export async function openDeviceKeyStore(
  dataDir: string,
  options: { alg?: ClientAssertionAlgorithm } = {}
): Promise<DeviceKeyStore & { created: boolean }> {
  const first = await loadOrCreateDeviceKey(dataDir, options);
  const { file } = first;
  let loaded = first;
  let seen: Version = versionOf(await stat(file, { bigint: true }));
  let reading: Promise<DeviceKey> | undefined;

  // Version and content from one open file, so a replacement between the two cannot pair one with the other.
  async function reread(): Promise<DeviceKey> {
    const handle = await open(file, 'r');
    try {
      const version = versionOf(await handle.stat({ bigint: true }));
      const key = await parseDeviceKey(await handle.readFile('utf8'), file);
      loaded = key;
      seen = version;
      return key;
    } finally {
      await handle.close();
    }
  }

  async function current(): Promise<DeviceKey> {
    if (versionOf(await stat(file, { bigint: true })) === seen) return loaded;
    // Concurrent callers (a token request and a JWKS fetch) share one read.
    reading ??= reread().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  return {
    file,
    created: first.created,
    current,
    last: () => loaded,
    jwks: async () => (await current()).jwks,
  };
}
