import type { AccessPolicy, AccessPolicyResource } from '@medplum/fhirtypes';
import { deviceResultSystem, MODEL_KEYS, SEED_IDS } from '../../ids.ts';
import { byTag, entry, type ModelEntry, projectMeta } from './entries.ts';

const READ_WRITE = ['create', 'read', 'vread', 'search', 'history', 'update'] as const;
const READ_CREATE = ['create', 'read', 'vread', 'search', 'history'] as const;

/** The lab test catalogue (what the pipeline publishes; apps/catalog-pipeline): each orderable test and its analytes. */
export const CATALOG_TYPES = ['ActivityDefinition', 'ObservationDefinition', 'ValueSet'] as const;
const readCatalog = (): AccessPolicyResource[] =>
  CATALOG_TYPES.map((resourceType) => ({ resourceType, readonly: true }));

function policy(key: string, id: string, name: string, resource?: AccessPolicyResource[]): ModelEntry {
  return entry<AccessPolicy>({
    key,
    via: 'fhir',
    match: byTag('AccessPolicy', key),
    resource: {
      resourceType: 'AccessPolicy',
      id,
      meta: projectMeta(key),
      name,
      ...(resource ? { resource } : {}),
    },
  });
}

/** Who may do what: one AccessPolicy per kind of caller. */
export function accessPolicies(): ModelEntry[] {
  const K = MODEL_KEYS;
  return [
    // No `resource` entries at all (FHIR has no empty arrays): nothing is granted.
    policy(K.noAccessPolicy, SEED_IDS.noAccessPolicy, 'No access (public web client identity)'),
    policy(K.practitionerPolicy, SEED_IDS.practitionerPolicy, 'Practitioner', [
      { resourceType: 'Patient', interaction: [...READ_WRITE] },
      { resourceType: 'ServiceRequest', interaction: [...READ_WRITE] },
      { resourceType: 'Communication', interaction: [...READ_CREATE] },
      { resourceType: 'Observation', readonly: true },
      { resourceType: 'DiagnosticReport', readonly: true },
      { resourceType: 'Device', readonly: true },
      { resourceType: 'Practitioner', readonly: true },
      // The order form offers the published catalogue.
      ...readCatalog(),
      // Who did what (the web app's activity view): the names of the clients Medplum stamps as `meta.author`, their
      // secrets hidden, and the subscription's delivery AuditEvents (type `transmit`) only.
      {
        resourceType: 'ClientApplication',
        readonly: true,
        hiddenFields: ['secret', 'retiringSecret', 'identityProvider'],
      },
      { resourceType: 'AuditEvent', criteria: 'AuditEvent?type=transmit', readonly: true },
    ]),
    policy(K.receptionPolicy, SEED_IDS.receptionPolicy, 'Reception (patient list only)', [
      { resourceType: 'Patient', readonly: true },
    ]),
    policy(
      K.proxyPolicy,
      SEED_IDS.proxyPolicy,
      'Legacy clinic proxy (its own calls; on-behalf-of calls use the user policy)',
      [
        { resourceType: 'Patient', readonly: true },
        { resourceType: 'Observation', readonly: true },
        { resourceType: 'DiagnosticReport', readonly: true },
        { resourceType: 'ServiceRequest', readonly: true },
        { resourceType: 'Communication', interaction: [...READ_CREATE] },
      ]
    ),
    policy(K.devicePolicy, SEED_IDS.devicePolicy, 'Lab analyzer (parameter %device)', [
      // Orders addressed to this device only.
      { resourceType: 'ServiceRequest', criteria: 'ServiceRequest?performer=%device', interaction: ['read', 'search'] },
      // Its own results only; read/search are there because conditional create (If-None-Exist) searches first.
      {
        resourceType: 'Observation',
        criteria: 'Observation?device=%device',
        interaction: ['create', 'read', 'search'],
      },
      {
        resourceType: 'DiagnosticReport',
        criteria: `DiagnosticReport?identifier=${deviceResultSystem('%device.id')}|`,
        interaction: ['create', 'read', 'search'],
      },
      // What it can run, and each analyte's unit and reference range.
      ...readCatalog(),
    ]),
    // The catalogue and nothing else: no patient data at all (no Patient, Observation or ServiceRequest entry).
    policy(
      K.catalogPolicy,
      SEED_IDS.catalogPolicy,
      'Lab catalogue pipeline (catalogue resources only)',
      CATALOG_TYPES.map((resourceType) => ({
        resourceType,
        interaction: ['create', 'read', 'vread', 'search', 'history', 'update'],
      }))
    ),
  ];
}
