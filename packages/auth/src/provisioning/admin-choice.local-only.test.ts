import { describe, expect, it } from 'vitest';
import { chooseAdmin } from './cli-env.ts';
import { DEV_ADMIN } from './dev-admin.ts';

// The one rule `provision` and the device fleet commands share: the seed's dev admin (a public secret) only for a
// Medplum on this machine, and only when no admin client is configured.
const configured = { MEDPLUM_ADMIN_CLIENT_ID: 'admin-id', MEDPLUM_ADMIN_CLIENT_SECRET: 'admin-secret-0123456789' };
const devAdmin = { clientId: DEV_ADMIN.clientId, clientSecret: DEV_ADMIN.secret };

describe('which admin client an admin command signs in as', () => {
  it.each(['http://localhost:8103/', 'http://127.0.0.1:8103/', 'http://[::1]:8103/'])(
    'a local Medplum (%s) without admin settings: the dev admin',
    (url) => {
      expect(chooseAdmin({ MEDPLUM_BASE_URL: url })).toEqual({ admin: devAdmin, localDefault: true });
    }
  );

  it.each([
    'https://api.medplum.com/',
    'http://localhost.example.com:8103/',
    'http://127.0.0.1.nip.io:8103/',
    'http://localhost@medplum.example:8103/',
    'http://10.0.0.5:8103/',
  ])('any other Medplum (%s) without admin settings: none, never the dev admin', (url) => {
    expect(chooseAdmin({ MEDPLUM_BASE_URL: url })).toEqual({ admin: undefined, localDefault: false });
    expect(chooseAdmin({ MEDPLUM_BASE_URL: url, MEDPLUM_ADMIN_CLIENT_ID: 'only-the-id' }).admin).toBeUndefined();
  });

  it.each(['http://localhost:8103/', 'https://api.medplum.com/'])(
    'a configured admin client is used as it is, local (%s) or not',
    (url) => {
      expect(chooseAdmin({ MEDPLUM_BASE_URL: url, ...configured })).toEqual({
        admin: { clientId: 'admin-id', clientSecret: 'admin-secret-0123456789' },
        localDefault: false,
      });
    }
  );
});
