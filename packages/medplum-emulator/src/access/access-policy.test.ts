import type { AccessPolicy, ProjectMembership } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { EmulatorRepository } from '../store/emulator-repository.ts';
import { effectiveAccessPolicy, INVALID_ACCESS_POLICY } from './access-policy.ts';

const member: ProjectMembership = {
  resourceType: 'ProjectMembership',
  id: 'm1',
  project: { reference: 'Project/p1' },
  user: { reference: 'User/u1' },
  profile: { reference: 'Practitioner/pr1' },
};

async function repoWith(...policies: AccessPolicy[]): Promise<EmulatorRepository> {
  const repo = new EmulatorRepository();
  await repo.withSeeding(async () => {
    for (const policy of policies) await repo.createResource(policy);
  });
  return repo;
}

describe('effectiveAccessPolicy', () => {
  it('gives a membership without a policy everything but project-admin types, plus readonly definitions', async () => {
    const policy = await effectiveAccessPolicy(new EmulatorRepository(), member);
    expect(policy.resource).toEqual([
      { resourceType: '*' },
      { resourceType: 'SearchParameter', readonly: true },
      { resourceType: 'StructureDefinition', readonly: true },
    ]);
  });

  it('substitutes %profile, %name and %name.id, and combines accessPolicy with every access[] entry', async () => {
    const repo = await repoWith(
      {
        resourceType: 'AccessPolicy',
        id: 'base',
        resource: [{ resourceType: 'Patient', criteria: 'Patient?general-practitioner=%profile' }],
      },
      {
        resourceType: 'AccessPolicy',
        id: 'device',
        resource: [
          { resourceType: 'Observation', criteria: 'Observation?device=%device' },
          { resourceType: 'Device', criteria: 'Device?_id=%device.id' },
          { resourceType: 'Task', criteria: 'Task?code=%code' },
        ],
      }
    );
    const policy = await effectiveAccessPolicy(repo, {
      ...member,
      accessPolicy: { reference: 'AccessPolicy/base' },
      access: [
        {
          policy: { reference: 'AccessPolicy/device' },
          parameter: [
            { name: 'device', valueReference: { reference: 'Device/d1' } },
            { name: 'code', valueString: 'urgent' },
          ],
        },
      ],
    });
    expect(policy.resource?.map((r) => r.criteria).filter(Boolean)).toEqual([
      'Patient?general-practitioner=Practitioner/pr1',
      'Observation?device=Device/d1',
      'Device?_id=d1',
      'Task?code=urgent',
    ]);
  });

  it('adds the project-admin entries only for admins, with secrets hidden', async () => {
    const admin = await effectiveAccessPolicy(new EmulatorRepository(), { ...member, admin: true });
    expect(admin.resource?.map((r) => r.resourceType)).toEqual(
      expect.arrayContaining(['Project', 'ProjectMembership', 'AccessPolicy', 'User'])
    );
    expect(admin.resource?.find((r) => r.resourceType === 'User')?.hiddenFields).toContain('passwordHash');
  });

  it('keeps the last policy compartment, and gives readonly entries the read interactions', async () => {
    const repo = await repoWith({
      resourceType: 'AccessPolicy',
      id: 'org',
      compartment: { reference: 'Organization/o1' },
      resource: [{ resourceType: 'Patient', readonly: true }],
    });
    const policy = await effectiveAccessPolicy(repo, { ...member, accessPolicy: { reference: 'AccessPolicy/org' } });
    expect(policy.compartment).toEqual({ reference: 'Organization/o1' });
    expect(policy.resource?.[0]).toEqual({
      resourceType: 'Patient',
      readonly: true,
      interaction: ['search', 'read', 'history', 'vread'],
    });
  });

  it('refuses a membership that names a policy which does not exist', async () => {
    await expect(
      effectiveAccessPolicy(new EmulatorRepository(), {
        ...member,
        accessPolicy: { reference: 'AccessPolicy/missing' },
      })
    ).rejects.toThrow(INVALID_ACCESS_POLICY);
  });
});
