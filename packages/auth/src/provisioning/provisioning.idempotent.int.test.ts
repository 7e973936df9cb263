import type { MedplumClient } from '@medplum/core';
import type { AccessPolicy, Bundle } from '@medplum/fhirtypes';
import type { startEmulator } from '@org/medplum-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KEYS } from '../ids.ts';
import { nameUuid } from './ids.ts';
import { buildAuthModel } from './model/index.ts';
import { provisionProject } from './provision.ts';
import { DEV_OPTIONS } from './testing/config.ts';
import { projectAdminEntries, startEmulatorAsAdmin } from './testing/project-admin.ts';

// Integration: provisioning an (almost) empty project through Medplum's admin and FHIR APIs on the emulator.
const projectId = nameUuid('Project/provisioning-test');
const projectAdmin = {
  clientId: nameUuid('ClientApplication/provisioning-admin'),
  membershipId: nameUuid('ProjectMembership/provisioning-admin'),
  name: 'Provisioning admin',
  secret: 'provisioning-admin-secret-0123456789',
};

const emptyProject: Bundle = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resource: { resourceType: 'Project', id: projectId, name: 'Provisioning test', meta: { project: projectId } } },
    ...projectAdminEntries(projectId, projectAdmin),
  ],
};

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let admin: MedplumClient;
const model = buildAuthModel({ ...DEV_OPTIONS, bcryptRounds: 4 });

// Creating a ClientApplication with its membership, and a practitioner user, goes through Medplum's admin API
// (`POST admin/projects/:projectId/client` and `/invite`), which the emulator serves like a real Medplum.
describe('provisioning an empty project through the admin and FHIR APIs', () => {
  beforeAll(async () => {
    ({ emulator, admin } = await startEmulatorAsAdmin(emptyProject, projectAdmin));
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('creates the model the first time and hands back the new client credentials', async () => {
    const report = await provisionProject(admin, model);
    expect(report.projectId).toBe(projectId);
    expect(report.counts.created).toBeGreaterThan(10);
    expect(report.newClients.map((c) => c.key).sort()).toEqual(
      [MODEL_KEYS.deviceClient, MODEL_KEYS.pipelineClient, MODEL_KEYS.proxyClient, MODEL_KEYS.webClient].sort()
    );
    expect(report.newClients.find((c) => c.key === MODEL_KEYS.proxyClient)?.clientSecret).toBeTruthy();
    expect(report.newClients.find((c) => c.key === MODEL_KEYS.webClient)?.clientSecret).toBeUndefined();
  });

  it('creates and changes nothing the second time', async () => {
    const report = await provisionProject(admin, model);
    expect(report.counts).toMatchObject({ created: 0, updated: 0, missing: 0, drift: 0 });
    expect(report.newClients).toEqual([]);
  });

  it('--check reports no drift, then the drift made by hand, and changes nothing', async () => {
    expect((await provisionProject(admin, model, { check: true })).counts).toMatchObject({ drift: 0, missing: 0 });
    const policy = (await admin.searchOne('AccessPolicy', {
      _tag: `https://reference.org.example/fhir/provisioning|${MODEL_KEYS.devicePolicy}`,
    })) as AccessPolicy;
    await admin.updateResource<AccessPolicy>({ ...policy, resource: [{ resourceType: '*' }] });
    const check = await provisionProject(admin, model, { check: true });
    expect(check.steps.filter((s) => s.action === 'drift')).toEqual([
      expect.objectContaining({ key: MODEL_KEYS.devicePolicy, fields: ['resource'] }),
    ]);
    expect(((await admin.readResource('AccessPolicy', policy.id ?? '')) as AccessPolicy).resource).toEqual([
      { resourceType: '*' },
    ]);
  });

  it('repairs the drift on the next run', async () => {
    const report = await provisionProject(admin, model);
    expect(report.steps.filter((s) => s.action !== 'unchanged')).toEqual([
      expect.objectContaining({ key: MODEL_KEYS.devicePolicy, action: 'updated' }),
    ]);
  });
});
