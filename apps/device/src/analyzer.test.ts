import type { DiagnosticReport, Observation, ServiceRequest } from '@medplum/fhirtypes';
import { deviceResultSystem } from '@org/auth/ids';
import { describe, expect, it } from 'vitest';
import { publishedCatalog } from '../test/catalog.ts';
import { identifierQuery, mergeTransactions, OrderRejected, type RunOptions, runOrder as runWith } from './analyzer.ts';

// Runs against the catalogue as the pipeline publishes it; the analyzer keeps no list of its own.
const catalog = publishedCatalog();
const runOrder = (order: ServiceRequest, options: Partial<RunOptions> = {}) => runWith(order, { catalog, ...options });

const order: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'sr-1',
  status: 'active',
  intent: 'order',
  code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
  subject: { reference: 'Patient/p-1' },
  performer: [{ reference: 'Device/dev-1' }],
};

describe('runOrder', () => {
  it('is deterministic in the order, so a rerun or retry sends the same bundle', () => {
    const at = '2026-01-01T00:00:00.000Z';
    expect(runOrder(order, { at })).toEqual(runOrder(order, { at }));
  });

  it('makes one transaction: Observations and a DiagnosticReport, each created only if its identifier is new', () => {
    const { bundle, observations, order: ref, patient } = runOrder(order);
    expect(bundle.type).toBe('transaction');
    expect(observations).toBe(4);
    expect(ref).toBe('ServiceRequest/sr-1');
    expect(patient).toBe('Patient/p-1');
    const system = deviceResultSystem('dev-1');
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource as Observation | DiagnosticReport;
      const identifier = resource.identifier?.[0];
      expect(identifier?.system).toBe(system);
      expect(entry.request?.method).toBe('POST');
      expect(entry.request?.ifNoneExist).toBe(identifierQuery(system, identifier?.value ?? ''));
      expect(resource.basedOn).toEqual([{ reference: 'ServiceRequest/sr-1' }]);
      expect(resource.subject).toEqual({ reference: 'Patient/p-1' });
      expect(entry.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    }
    const observationEntries = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Observation');
    for (const entry of observationEntries) {
      expect((entry.resource as Observation).device).toEqual({ reference: 'Device/dev-1' });
    }
    const report = bundle.entry?.at(-1)?.resource as DiagnosticReport;
    expect(report.resourceType).toBe('DiagnosticReport');
    expect(report.result?.map((r) => r.reference)).toEqual(observationEntries.map((e) => e.fullUrl));
  });

  it('answers an order it has no assay for with a report that says so', () => {
    const unknown = runOrder({ ...order, code: { coding: [{ system: 'http://loinc.org', code: '0000-0' }] } });
    expect(unknown.observations).toBe(0);
    expect((unknown.bundle.entry?.[0]?.resource as DiagnosticReport | undefined)?.conclusion).toMatch(/no assay/);
  });

  it('runs only what the published catalogue lists: without it, an order gets a "no assay" report', () => {
    expect(runWith(order, { catalog: new Map() }).observations).toBe(0);
    expect(runOrder(order).observations).toBe(4);
  });

  it('refuses orders it cannot run', () => {
    expect(() => runOrder({ ...order, subject: { reference: 'Group/g' } })).toThrow(OrderRejected);
    expect(() => runOrder({ ...order, performer: [{ reference: 'Practitioner/x' }] })).toThrow(OrderRejected);
    expect(() => runOrder(order, { deviceId: 'another-device' })).toThrow(/not to this analyzer/);
  });

  it('merges several orders into one transaction without fullUrl collisions', () => {
    const merged = mergeTransactions([runOrder(order).bundle, runOrder({ ...order, id: 'sr-2' }).bundle]);
    const urls = merged.entry?.map((e) => e.fullUrl) ?? [];
    expect(urls).toHaveLength(10);
    expect(new Set(urls).size).toBe(10);
  });
});
