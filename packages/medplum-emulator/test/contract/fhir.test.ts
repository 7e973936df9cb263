import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractTarget } from './target.ts';
import { basic, clientCredentialsToken, startTarget } from './target.ts';

let target: ContractTarget;
let medplum: MedplumClient;
beforeAll(async () => {
  target = await startTarget();
  medplum = new MedplumClient({
    baseUrl: target.baseUrl,
    clientId: target.client.id,
    storage: new ClientStorage(new MemoryStorage()),
  });
  await medplum.startClientLogin(target.client.id, target.client.secret);
});
afterAll(() => target.stop());

const clientReference = () => `ClientApplication/${target.client.id}`;

describe('FHIR read and write with MedplumClient', () => {
  it('creates, reads, updates, searches and deletes; a read after delete is 410 Gone', async () => {
    const family = `Contract${Date.now()}`;
    const created = await medplum.createResource<Patient>({ resourceType: 'Patient', name: [{ family }] });
    expect(created.id).toBeDefined();
    expect(created.meta?.versionId).toBeDefined();

    const read = await medplum.readResource('Patient', created.id as string);
    expect(read.name?.[0]?.family).toBe(family);

    const updated = await medplum.updateResource({ ...read, gender: 'female' });
    expect(updated.meta?.versionId).not.toBe(created.meta?.versionId);

    const found = await medplum.searchResources('Patient', { family });
    expect(found.map((p) => p.id)).toEqual([created.id]);

    const history = await medplum.readHistory('Patient', created.id as string);
    expect(history.entry?.length).toBe(2);

    await medplum.deleteResource('Patient', created.id as string);
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient/${created.id}`, {
      headers: { Authorization: `Bearer ${medplum.getAccessToken()}` },
    });
    expect(response.status).toBe(410);
    expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('stamps meta.author with the caller and ignores a client-sent author', async () => {
    const created = await medplum.createResource<Patient>({
      resourceType: 'Patient',
      meta: { author: { reference: 'Practitioner/someone-else' } },
    });
    expect(created.meta?.author?.reference).toBe(clientReference());
    const updated = await medplum.updateResource({
      ...created,
      meta: { ...created.meta, author: { reference: 'Practitioner/someone-else' } },
    });
    expect(updated.meta?.author?.reference).toBe(clientReference());
  });

  it('hides meta.author and meta.project without X-Medplum: extended', async () => {
    const created = await medplum.createResource<Patient>({ resourceType: 'Patient' });
    const plain = await fetch(`${target.baseUrl}fhir/R4/Patient/${created.id}`, {
      headers: { Authorization: `Bearer ${medplum.getAccessToken()}` },
    });
    const body = (await plain.json()) as Patient;
    expect(body.meta?.versionId).toBe(created.meta?.versionId);
    expect(body.meta?.author).toBeUndefined();
    expect(body.meta?.project).toBeUndefined();

    const extended = await fetch(`${target.baseUrl}fhir/R4/Patient/${created.id}`, {
      headers: { Authorization: `Bearer ${medplum.getAccessToken()}`, 'X-Medplum': 'extended' },
    });
    expect(((await extended.json()) as Patient).meta?.author?.reference).toBe(clientReference());
  });

  it('answers 201 with Location and ETag on create', async () => {
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${medplum.getAccessToken()}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient' }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as Patient;
    expect(response.headers.get('location')).toBe(
      `${target.baseUrl}fhir/R4/Patient/${created.id}/_history/${created.meta?.versionId}`
    );
    expect(response.headers.get('etag')).toBe(`W/"${created.meta?.versionId}"`);
  });

  it('runs batch bundles through the same rules', async () => {
    const bundle = await medplum.executeBatch({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } }],
    });
    expect(bundle.entry?.[0]?.response?.status).toBe('201');
    const created = bundle.entry?.[0]?.resource as Patient;
    expect(created.meta?.author?.reference).toBe(clientReference());
  });
});

describe('Basic authentication on the API', () => {
  it('MedplumClient.setBasicAuth reads and writes with ClientApplication id:secret', async () => {
    const basicClient = new MedplumClient({ baseUrl: target.baseUrl, storage: new ClientStorage(new MemoryStorage()) });
    basicClient.setBasicAuth(target.client.id, target.client.secret);
    const created = await basicClient.createResource<Patient>({ resourceType: 'Patient' });
    expect(created.meta?.author?.reference).toBe(clientReference());
    expect((await basicClient.readResource('Patient', created.id as string)).id).toBe(created.id);
  });

  it('wrong Basic credentials → 401 with WWW-Authenticate: Basic', async () => {
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
      headers: { Authorization: basic(target.client.id, 'wrong-secret') },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${target.baseUrl}"`);
    const outcome = (await response.json()) as { issue: { code: string }[] };
    expect(outcome.issue[0]?.code).toBe('login');
  });

  it('no credentials → 401 with WWW-Authenticate: Bearer', async () => {
    // packages/server/src/oauth/middleware.ts: a Bearer challenge unless the request used Basic credentials.
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
  });
});

describe('Bearer token rejections', () => {
  it('a tampered token → 401 with a Bearer challenge, no Basic prompt', async () => {
    const { access_token } = await clientCredentialsToken(target);
    const [header, payload, signature] = (access_token as string).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient`, {
      headers: { Authorization: `Bearer ${header}.${forged}.${signature}` },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${target.baseUrl}"`);
  });

  it('a token whose login was logged out → 401', async () => {
    const { access_token } = await clientCredentialsToken(target);
    const headers = { Authorization: `Bearer ${access_token}` };
    expect((await fetch(`${target.baseUrl}auth/me`, { headers })).status).toBe(200);
    const logout = await fetch(`${target.baseUrl}oauth2/logout`, { method: 'POST', headers });
    expect(logout.status).toBe(200);
    expect((await fetch(`${target.baseUrl}fhir/R4/Patient`, { headers })).status).toBe(401);
  });
});

describe('_medplum-prompt-basic-auth', () => {
  it('adds the Basic prompt to a 401 even for a Bearer token', async () => {
    // A non-empty value: Medplum reads the query parameter as a truthy Express value.
    const response = await fetch(`${target.baseUrl}fhir/R4/Patient?_medplum-prompt-basic-auth=true`, {
      headers: { Authorization: 'Bearer not-a-token' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Basic realm="${target.baseUrl}"`);
  });
});

describe('introspection', () => {
  it('reports an access token active and garbage inactive', async () => {
    const { access_token } = await clientCredentialsToken(target);
    const introspect = (token: string) =>
      fetch(`${target.baseUrl}oauth2/introspect`, {
        method: 'POST',
        // The caller must authenticate (packages/server/src/oauth/introspect.ts, behind authenticateRequest).
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: basic(target.client.id, target.client.secret),
        },
        body: new URLSearchParams({ token }).toString(),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect(await introspect(access_token as string)).toMatchObject({ active: true, client_id: target.client.id });
    expect(await introspect('garbage')).toEqual({ active: false });
  });
});
