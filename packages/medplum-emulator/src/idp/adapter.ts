import type { Adapter, AdapterPayload } from 'oidc-provider';

/*
 * oidc-provider's storage, in memory and private to one provider instance. The library's own quick-start adapter
 * works too but prints a "development-only" warning on every start; this one is the same idea, written for the
 * emulator: nothing survives a restart, which is fine for codes, sessions and short-lived tokens.
 */

interface Stored {
  payload: AdapterPayload;
  /** Epoch milliseconds; undefined = no expiry. */
  expiresAt: number | undefined;
}

/** Models whose records belong to a grant and die with it (revokeByGrantId). */
const GRANT_BOUND = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

export function createMemoryAdapterFactory(now: () => number = Date.now): (model: string) => Adapter {
  const records = new Map<string, Stored>();
  const sessionByUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const grantMembers = new Map<string, Set<string>>();

  function read(key: string): AdapterPayload | undefined {
    const stored = records.get(key);
    if (!stored) return undefined;
    if (stored.expiresAt !== undefined && stored.expiresAt <= now()) {
      records.delete(key);
      return undefined;
    }
    return stored.payload;
  }

  return (model: string): Adapter => {
    const keyFor = (id: string) => `${model}:${id}`;
    const findCopy = (id: string): AdapterPayload | undefined => {
      const payload = read(keyFor(id));
      return payload && structuredClone(payload);
    };
    const adapter: Adapter = {
      async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
        const key = keyFor(id);
        records.set(key, {
          payload: structuredClone(payload),
          expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined,
        });
        if (model === 'Session' && payload.uid) sessionByUid.set(payload.uid, id);
        if (payload.userCode) byUserCode.set(payload.userCode, id);
        if (GRANT_BOUND.has(model) && payload.grantId) {
          const members = grantMembers.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          grantMembers.set(payload.grantId, members);
        }
      },
      async find(id: string): Promise<AdapterPayload | undefined> {
        return findCopy(id);
      },
      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        const id = sessionByUid.get(uid);
        return id === undefined ? undefined : findCopy(id);
      },
      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : findCopy(id);
      },
      async consume(id: string): Promise<void> {
        const payload = read(keyFor(id));
        if (payload) payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id: string): Promise<void> {
        const key = keyFor(id);
        const payload = records.get(key)?.payload;
        records.delete(key);
        if (payload?.uid && sessionByUid.get(payload.uid) === id) sessionByUid.delete(payload.uid);
        if (payload?.userCode && byUserCode.get(payload.userCode) === id) byUserCode.delete(payload.userCode);
      },
      async revokeByGrantId(grantId: string): Promise<void> {
        for (const key of grantMembers.get(grantId) ?? []) {
          records.delete(key);
        }
        grantMembers.delete(grantId);
      },
    };
    return adapter;
  };
}
