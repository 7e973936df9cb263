import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import type { AccessPolicy, ClientApplication, ProjectMembership, Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { MODEL_KEYS, SEED_IDS, SYSTEMS } from '../ids.ts';
import { buildAuthModel } from './model/index.ts';
import { provisionProject } from './provision.ts';
import { DEV_OPTIONS } from './testing/config.ts';
import { fakeAdminApi } from './testing/fake-admin-api.ts';

// Unit: provisioning logic against a double of Medplum's admin + FHIR API (the emulator test covers real HTTP).
async function setup(quirks: Parameters<typeof fakeAdminApi>[1] = {}) {
  const api = fakeAdminApi('project-1', quirks);
  const admin = new MedplumClient({
    baseUrl: 'https://medplum.test/',
    fetch: api.fetch,
    storage: new ClientStorage(new MemoryStorage()),
    cacheTime: 0,
  });
  await admin.startClientLogin('admin', 'secret');
  const model = buildAuthModel({ ...DEV_OPTIONS, bcryptRounds: 4 });
  return { api, admin, model };
}

function all<T>(api: ReturnType<typeof fakeAdminApi>, type: string): T[] {
  return [...(api.store.get(type)?.values() ?? [])] as T[];
}

describe('provisioning is idempotent', () => {
  it('creates everything once, then nothing', async () => {
    const { api, admin, model } = await setup();
    const first = await provisionProject(admin, model);
    // 6 policies, 2 devices, 2 patients, 4 clients, 2 practitioners, 1 subscription.
    expect(first.counts.created).toBe(17);
    const sizes = () => Object.fromEntries([...api.store].map(([type, table]) => [type, table.size]));
    const after = sizes();
    const calls = api.calls.length;
    const second = await provisionProject(admin, model);
    expect(second.counts).toMatchObject({ created: 0, updated: 0, missing: 0, drift: 0 });
    expect(sizes()).toEqual(after);
    expect(api.calls.slice(calls).filter((c) => !c.startsWith('GET'))).toEqual([]);
  });

  it('only uses the admin endpoints a real Medplum offers, besides FHIR', async () => {
    const { api, admin, model } = await setup();
    await provisionProject(admin, model);
    const nonFhir = new Set(
      api.calls.filter((c) => !c.includes('/fhir/R4/')).map((c) => c.replace(api.projectId, ':projectId'))
    );
    expect([...nonFhir].sort()).toEqual([
      'GET /auth/me',
      'POST /admin/projects/:projectId/client',
      'POST /admin/projects/:projectId/invite',
      'POST /oauth2/token',
    ]);
  });

  it('rewrites seed ids to the live ones (policies, device parameter, subscription criteria)', async () => {
    const { api, admin, model } = await setup();
    await provisionProject(admin, model);
    const devices = all<{ id: string; identifier: { value: string }[] }>(api, 'Device');
    const analyzer = devices.find((d) => d.identifier[0]?.value === 'lab-analyzer-1');
    expect(analyzer?.id).not.toBe(SEED_IDS.analyzerDevice);
    const json = JSON.stringify([...api.store.values()].map((t) => [...t.values()]));
    for (const seedId of Object.values(SEED_IDS)) expect(json).not.toContain(seedId);
    const [subscription] = all<Subscription>(api, 'Subscription');
    expect(subscription?.criteria).toBe(`ServiceRequest?performer=Device/${analyzer?.id}`);
    const memberships = all<ProjectMembership>(api, 'ProjectMembership');
    const clients = all<ClientApplication>(api, 'ClientApplication');
    const deviceClient = clients.find((c) => c.meta?.tag?.some((t) => t.code === MODEL_KEYS.deviceClient));
    const deviceMembership = memberships.find((m) => m.user?.reference === `ClientApplication/${deviceClient?.id}`);
    expect(deviceMembership?.access?.[0]?.parameter?.[0]?.valueReference?.reference).toBe(`Device/${analyzer?.id}`);
    const proxyClient = clients.find((c) => c.meta?.tag?.some((t) => t.code === MODEL_KEYS.proxyClient));
    expect(memberships.find((m) => m.user?.reference === `ClientApplication/${proxyClient?.id}`)?.admin).toBe(true);
  });

  it('keeps the secrets Medplum generated, and reports new clients', async () => {
    const { api, admin, model } = await setup();
    const report = await provisionProject(admin, model);
    const clients = all<ClientApplication>(api, 'ClientApplication');
    for (const client of clients) expect(client.secret).not.toBe(DEV_OPTIONS.proxy.clientSecret);
    const proxy = report.newClients.find((c) => c.key === MODEL_KEYS.proxyClient);
    expect(clients.find((c) => c.id === proxy?.clientId)?.secret).toBe(proxy?.clientSecret);
    expect(report.newClients.find((c) => c.key === MODEL_KEYS.webClient)).toEqual({
      key: MODEL_KEYS.webClient,
      clientId: expect.any(String),
    });
  });

  it('--check reports drift and missing parts and changes nothing', async () => {
    const { api, admin, model } = await setup();
    const empty = await provisionProject(admin, model, { check: true });
    expect(empty.counts.missing).toBeGreaterThan(10);
    expect(api.calls.filter((c) => !c.startsWith('GET') && !c.includes('oauth2'))).toEqual([]);

    await provisionProject(admin, model);
    const policy = all<AccessPolicy>(api, 'AccessPolicy').find((p) =>
      p.meta?.tag?.some((t) => t.system === SYSTEMS.provisioning && t.code === MODEL_KEYS.devicePolicy)
    );
    if (!policy) throw new Error('no device policy');
    api.store.get('AccessPolicy')?.set(policy.id ?? '', { ...policy, resource: [{ resourceType: '*' }] } as never);
    const check = await provisionProject(admin, model, { check: true });
    expect(check.steps.filter((s) => s.action !== 'unchanged')).toEqual([
      { key: MODEL_KEYS.devicePolicy, action: 'drift', reference: `AccessPolicy/${policy.id}`, fields: ['resource'] },
    ]);
    const repaired = await provisionProject(admin, model);
    expect(repaired.steps.filter((s) => s.action !== 'unchanged').map((s) => [s.key, s.action])).toEqual([
      [MODEL_KEYS.devicePolicy, 'updated'],
    ]);
  });

  it('refuses an admin client that is not a project admin', async () => {
    const { admin, model } = await setup();
    (admin as unknown as { sessionDetails: { membership: { admin: boolean } } }).sessionDetails.membership.admin =
      false;
    await expect(provisionProject(admin, model)).rejects.toThrow(/project admin/);
  });

  it('refuses to guess when a model resource matches twice', async () => {
    const { api, admin, model } = await setup();
    await provisionProject(admin, model);
    const [patient] = all<{ id: string }>(api, 'Patient');
    api.store.get('Patient')?.set('copy', { ...(patient as object), id: 'copy' } as never);
    await expect(provisionProject(admin, model)).rejects.toThrow(/matches 2 resources/);
  });

  it('stops when an invite does not return a membership', async () => {
    const { admin, model } = await setup({ brokenInvite: true });
    await expect(provisionProject(admin, model)).rejects.toThrow(/invite for practitioner\/dev returned no membership/);
  });

  it('refuses credentials that are not signed in to a project', async () => {
    const { admin, model } = await setup();
    (admin as unknown as { sessionDetails: { project?: unknown } }).sessionDetails.project = undefined;
    (admin as unknown as { getProfileAsync: () => Promise<undefined> }).getProfileAsync = async () => undefined;
    await expect(provisionProject(admin, model)).rejects.toThrow(/not signed in to a project/);
  });
});
