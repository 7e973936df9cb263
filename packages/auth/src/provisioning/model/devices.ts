import type { Device } from '@medplum/fhirtypes';
import { DEVICE_IDENTIFIERS, MODEL_KEYS, SEED_IDS, SYSTEMS } from '../../ids.ts';
import { byIdentifier, entry, type ModelEntry, projectMeta } from './entries.ts';

const DEVICES = [
  [MODEL_KEYS.analyzerDevice, SEED_IDS.analyzerDevice, DEVICE_IDENTIFIERS.analyzer, 'Acme lab analyzer 1'],
  [
    MODEL_KEYS.otherDevice,
    SEED_IDS.otherDevice,
    DEVICE_IDENTIFIERS.otherAnalyzer,
    'Acme lab analyzer 2 (no credentials; for denial tests)',
  ],
] as const;

/** The analyzers as FHIR Devices, found on a real Medplum by their identifier. */
export function devices(): ModelEntry[] {
  return DEVICES.map(([key, id, value, name]) =>
    entry<Device>({
      key,
      via: 'fhir',
      match: byIdentifier('Device', SYSTEMS.device, value),
      resource: {
        resourceType: 'Device',
        id,
        meta: projectMeta(key),
        identifier: [{ system: SYSTEMS.device, value }],
        status: 'active',
        deviceName: [{ name, type: 'user-friendly-name' }],
        manufacturer: 'Acme Diagnostics',
      },
    })
  );
}
