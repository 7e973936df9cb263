import type { ClientApplication, OperationOutcome } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  type ContractTarget,
  clientCredentialsToken,
  form,
  startTarget,
} from '../../../test/contract/target.ts';
import { adminClient, deviceClient, PROJECT_ID } from '../../../test/fixtures/seed.ts';

// The cases of packages/server/src/fhir/operations/rotatesecret.test.ts ("ClientApplication $rotate-secret"), each on a
// client of its own made through the admin endpoint, plus what rotation is for: both secrets work at the token
// endpoint until the retiring one is removed (packages/server/src/oauth/token.ts validateClientIdAndSecret).
let target: ContractTarget;
let adminToken: string;

beforeAll(async () => {
  target = await startTarget();
  adminToken = (await clientCredentialsToken(target)).access_token as string;
});
afterAll(async () => {
  await target?.stop();
});

async function newClient(): Promise<ClientApplication & { id: string; secret: string }> {
  const response = await fetch(`${target.baseUrl}admin/projects/${PROJECT_ID}/client`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'rotation case' }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as ClientApplication & { id: string; secret: string };
}

async function rotate(clientId: string, parameter: { name: string; valueString?: string }[], token = adminToken) {
  const response = await fetch(`${target.baseUrl}fhir/R4/ClientApplication/${clientId}/$rotate-secret`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/fhir+json',
      'X-Medplum': 'extended',
    },
    body: JSON.stringify({ resourceType: 'Parameters', parameter }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Pick<ClientApplication, 'secret' | 'retiringSecret'> &
      Pick<OperationOutcome, 'issue'>,
  };
}

async function tokenStatus(clientId: string, secret: string): Promise<number> {
  const response = await fetch(
    `${target.baseUrl}oauth2/token`,
    form({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret })
  );
  return response.status;
}

describe('ClientApplication $rotate-secret', () => {
  it('Secret is changed to new value', async () => {
    const client = await newClient();
    const res = await rotate(client.id, [{ name: 'secret', valueString: client.secret }]);
    expect(res.status).toBe(200);
    expect(res.body.secret).toBeDefined();
    expect(res.body.secret).not.toStrictEqual(client.secret);
    expect(res.body.retiringSecret).toStrictEqual(client.secret);
  });

  it('Secret parameter must match existing', async () => {
    const client = await newClient();
    const res = await rotate(client.id, [{ name: 'secret', valueString: 'incorrect' }]);
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.code).toStrictEqual('invalid');
  });

  it('Remove retired secret', async () => {
    const client = await newClient();
    const updated = (await rotate(client.id, [{ name: 'secret', valueString: client.secret }])).body;
    const res2 = await rotate(client.id, [{ name: 'retiringSecret', valueString: updated.retiringSecret }]);
    expect(res2.status).toBe(200);
    expect(res2.body.secret).toStrictEqual(updated.secret);
    expect(res2.body.retiringSecret).toBeUndefined();
  });

  it('Access denied for non-admin user', async () => {
    const client = await newClient();
    const deviceToken = await fetch(
      `${target.baseUrl}oauth2/token`,
      form({ grant_type: 'client_credentials', client_id: deviceClient.id, client_secret: deviceClient.secret })
    ).then(async (r) => ((await r.json()) as { access_token: string }).access_token);
    const res = await rotate(client.id, [{ name: 'secret', valueString: client.secret }], deviceToken);
    expect(res.status).toBe(403);
    expect(res.body.issue?.[0]?.code).toStrictEqual('forbidden');
  });

  it('Secret must be provided', async () => {
    const client = await newClient();
    const res = await rotate(client.id, []);
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.code).toStrictEqual('invalid');
  });

  it('Only one secret can be provided', async () => {
    const client = await newClient();
    const res = await rotate(client.id, [
      { name: 'secret', valueString: client.secret },
      { name: 'retiringSecret', valueString: client.secret },
    ]);
    expect(res.status).toBe(400);
    expect(res.body.issue?.[0]?.code).toStrictEqual('invalid');
  });

  it('during rotation both secrets get tokens; after retiring, only the new one (Basic auth: only the current one)', async () => {
    const client = await newClient();
    const rotated = (await rotate(client.id, [{ name: 'secret', valueString: client.secret }])).body;
    expect(await tokenStatus(client.id, client.secret)).toBe(200);
    expect(await tokenStatus(client.id, rotated.secret as string)).toBe(200);
    const basicOld = await fetch(`${target.baseUrl}auth/me`, {
      headers: { Authorization: basic(client.id, client.secret) },
    });
    expect(basicOld.status).toBe(401);
    await rotate(client.id, [{ name: 'retiringSecret', valueString: client.secret }]);
    expect(await tokenStatus(client.id, client.secret)).toBe(400);
    expect(await tokenStatus(client.id, rotated.secret as string)).toBe(200);
  });

  it('is unknown to a caller without credentials (401) and keeps the seeded admin client usable', async () => {
    const response = await fetch(`${target.baseUrl}fhir/R4/ClientApplication/${adminClient.id}/$rotate-secret`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [] }),
    });
    expect(response.status).toBe(401);
  });
});
