import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { EmulatorStartError } from './errors.ts';
import { applySeed } from './seed.ts';
import { EmulatorRepository } from './store/emulator-repository.ts';

describe('applySeed', () => {
  it('keeps ids and meta as given, taking a transaction entry’s id from request.url', async () => {
    const repo = new EmulatorRepository();
    const added = await applySeed(repo, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'p1', meta: { versionId: 'v7', project: 'proj' } } },
        { request: { method: 'PUT', url: 'Practitioner/pr1' }, resource: { resourceType: 'Practitioner' } },
      ],
    });
    expect(added).toBe(2);
    expect((await repo.readResource('Patient', 'p1')).meta).toMatchObject({ versionId: 'v7', project: 'proj' });
    expect((await repo.readResource('Practitioner', 'pr1')).id).toBe('pr1');
  });

  it('leaves resources that already exist, or were deleted, alone', async () => {
    const repo = new EmulatorRepository();
    const seed: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Patient', id: 'p1' } }],
    };
    await applySeed(repo, seed);
    await repo.updateResource({ resourceType: 'Patient', id: 'p1', gender: 'female' });
    expect(await applySeed(repo, seed)).toBe(0);
    expect((await repo.readResource('Patient', 'p1')) as { gender?: string }).toMatchObject({ gender: 'female' });
    await repo.deleteResource('Patient', 'p1');
    expect(await applySeed(repo, seed)).toBe(0);
    expect(repo.isDeleted('Patient', 'p1')).toBe(true);
  });

  it('refuses a bundle of another type and an entry without id', async () => {
    const repo = new EmulatorRepository();
    await expect(applySeed(repo, { resourceType: 'Bundle', type: 'searchset' })).rejects.toThrow(EmulatorStartError);
    await expect(
      applySeed(repo, {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { resourceType: 'Patient' } }],
      })
    ).rejects.toThrow(/has no id/);
  });
});
