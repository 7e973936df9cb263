import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED_IDS } from './ids.ts';
import { nameUuid } from './provisioning/ids.ts';

describe('@org/auth/ids', () => {
  it('imports nothing: no bcrypt, no model, no node: module, so app and browser code can load it', async () => {
    const text = await readFile(join(import.meta.dirname, 'ids.ts'), 'utf8');
    expect(text).toContain('export const SEED_IDS');
    expect([...text.matchAll(/^\s*(?:import|export)\b[^;]*\bfrom\s*'([^']+)'/gm)].map((m) => m[1])).toEqual([]);
    expect(text).not.toMatch(/\bimport\s*\(|\brequire\s*\(/);
  });

  it('SEED_IDS are the name-based UUIDs of the seed resources', () => {
    const names: Record<keyof typeof SEED_IDS, string> = {
      project: 'Project/reference',
      practitionerPolicy: 'AccessPolicy/practitioner',
      receptionPolicy: 'AccessPolicy/reception',
      proxyPolicy: 'AccessPolicy/proxy',
      devicePolicy: 'AccessPolicy/device',
      noAccessPolicy: 'AccessPolicy/no-access',
      catalogPolicy: 'AccessPolicy/catalog-publisher',
      analyzerDevice: 'Device/lab-analyzer-1',
      otherDevice: 'Device/lab-analyzer-2',
      patientMaria: 'Patient/maria-garcia',
      patientJames: 'Patient/james-okafor',
      practitioner: 'Practitioner/dev',
      practitionerUser: 'User/dev',
      practitionerMembership: 'ProjectMembership/dev',
      receptionist: 'Practitioner/reception',
      receptionistUser: 'User/reception',
      receptionistMembership: 'ProjectMembership/reception',
      webMembership: 'ProjectMembership/web',
      proxyMembership: 'ProjectMembership/proxy',
      deviceMembership: 'ProjectMembership/device',
      pipelineMembership: 'ProjectMembership/pipeline',
      labOrderSubscription: 'Subscription/lab-orders',
    };
    const derived = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, nameUuid(name)]));
    expect(SEED_IDS).toEqual(derived);
  });
});
