import { createHash } from 'node:crypto';
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  Coding,
  DiagnosticReport,
  Observation,
  Quantity,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { deviceResultSystem } from '@org/auth/ids';
import { type Assay, type LabCatalog, LOINC } from './catalog.ts';

/**
 * The simulated analyzer: turns a lab order (ServiceRequest) into results. Everything here is deterministic in the
 * order id: running the same order twice gives the same values, identifiers and bundle, byte for byte. That is what
 * makes a retried upload (and the conditional creates in it) safe.
 */

const UCUM = 'http://unitsofmeasure.org';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

export class OrderRejected extends Error {
  override name = 'OrderRejected';
}

export interface RunOptions {
  /** What this analyzer can run: the published catalogue (catalog.ts); an order for anything else gets a report saying so. */
  catalog: LabCatalog;
  /** When the analyzer ran the order (ISO instant); part of the results, so fixed once the order is queued. */
  at?: string;
  /** The analyzer's own Device; default: the Device the order is addressed to (its `performer`). */
  deviceId?: string;
}

export interface OrderResults {
  /** `ServiceRequest/<id>`. */
  order: string;
  deviceId: string;
  patient: string;
  /** The transaction bundle: every entry a conditional create on its device-made identifier. */
  bundle: Bundle;
  observations: number;
  summary: string;
}

/** A name-based UUID (v5 layout), so fullUrls and identifiers are the same on every run of the same order. */
export function stableUuid(...parts: string[]): string {
  const hash = createHash('sha1').update('org-device/1').update(parts.join('\u0000')).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A number in [0, 1) from the order and analyte, so a rerun measures the same value. */
function measurement(orderId: string, code: string): number {
  return createHash('sha256').update(`${orderId}|${code}`).digest().readUInt32BE(0) / 2 ** 32;
}

function referenceOf(reference: Reference | undefined, type: string): string | undefined {
  const value = reference?.reference;
  return value?.startsWith(`${type}/`) && value.length > type.length + 1 ? value : undefined;
}

function orderCoding(order: ServiceRequest, catalog: LabCatalog): Coding | undefined {
  const codings = order.code?.coding ?? [];
  return codings.find((coding) => coding.system === LOINC && coding.code && catalog.has(coding.code)) ?? codings[0];
}

/** `identifier=<system>|<value>` as an If-None-Exist query. */
export function identifierQuery(system: string, value: string): string {
  return `identifier=${encodeURIComponent(`${system}|${value}`)}`;
}

/** Who the order is for and which analyzer runs it; refuses orders that cannot be run at all. */
function orderTarget(order: ServiceRequest, ownDeviceId: string | undefined) {
  if (order.resourceType !== 'ServiceRequest' || !order.id) throw new OrderRejected('not a stored ServiceRequest');
  const orderRef = `ServiceRequest/${order.id}`;
  const patient = referenceOf(order.subject, 'Patient');
  if (!patient) throw new OrderRejected(`${orderRef} has no Patient subject`);
  const performer = order.performer?.map((p) => referenceOf(p, 'Device')).find((ref) => ref !== undefined);
  const deviceId = ownDeviceId ?? performer?.slice('Device/'.length);
  if (!deviceId) throw new OrderRejected(`${orderRef} is not addressed to a Device`);
  if (ownDeviceId && performer && performer !== `Device/${ownDeviceId}`) {
    throw new OrderRejected(`${orderRef} is addressed to ${performer}, not to this analyzer`);
  }
  return { orderId: order.id, orderRef, patient, deviceId };
}

const LABORATORY_CATEGORY: CodeableConcept[] = [
  {
    coding: [
      {
        system: 'http://terminology.hl7.org/CodeSystem/observation-category',
        code: 'laboratory',
        display: 'Laboratory',
      },
    ],
  },
];

interface MeasurementContext {
  system: string;
  identifierValue: string;
  patient: string;
  orderRef: string;
  device: string;
  at: string;
}

/** One assay's Observation, with its value (deterministic per order and assay) and the H/L/N flag. */
function measure(orderId: string, assay: Assay, context: MeasurementContext) {
  const span = assay.high - assay.low;
  // Mostly inside the reference range, sometimes a little outside it.
  const raw = assay.low - span * 0.15 + measurement(orderId, assay.code) * span * 1.3;
  const value = Number(raw.toFixed(assay.decimals));
  const flag = value < assay.low ? 'L' : value > assay.high ? 'H' : 'N';
  const quantity = (amount: number): Quantity => ({ value: amount, unit: assay.unit, system: UCUM, code: assay.unit });
  const observation: Observation = {
    resourceType: 'Observation',
    identifier: [{ system: context.system, value: context.identifierValue }],
    status: 'final',
    category: LABORATORY_CATEGORY,
    code: { coding: [{ system: LOINC, code: assay.code, display: assay.display }], text: assay.display },
    subject: { reference: context.patient },
    basedOn: [{ reference: context.orderRef }],
    device: { reference: context.device },
    effectiveDateTime: context.at,
    issued: context.at,
    valueQuantity: quantity(value),
    interpretation: [{ coding: [{ system: INTERPRETATION, code: flag }] }],
    referenceRange: [{ low: quantity(assay.low), high: quantity(assay.high) }],
  };
  return { observation, flag };
}

/**
 * Runs one order. Throws OrderRejected when the order cannot be run at all (no patient, not addressed to a Device):
 * retrying would not help, so the inbox answers it without queueing anything.
 */
export function runOrder(order: ServiceRequest, options: RunOptions): OrderResults {
  const { orderId, orderRef, patient, deviceId } = orderTarget(order, options.deviceId);
  const device = `Device/${deviceId}`;
  const system = deviceResultSystem(deviceId);
  const at = options.at ?? new Date().toISOString();

  const coding = orderCoding(order, options.catalog);
  const panel = coding?.code && coding.system === LOINC ? options.catalog.get(coding.code) : undefined;
  const reportCode: CodeableConcept = order.code ?? { text: 'Laboratory order' };
  const entries: BundleEntry[] = [];
  const resultRefs: Reference<Observation>[] = [];
  const abnormal: string[] = [];
  for (const assay of panel?.assays ?? []) {
    const identifierValue = `${orderId}/${assay.code}`;
    const fullUrl = `urn:uuid:${stableUuid(system, identifierValue)}`;
    const { observation, flag } = measure(orderId, assay, { system, identifierValue, patient, orderRef, device, at });
    if (flag !== 'N') abnormal.push(`${assay.display.split(' [')[0]} ${flag}`);
    entries.push({
      fullUrl,
      resource: observation,
      request: { method: 'POST', url: 'Observation', ifNoneExist: identifierQuery(system, identifierValue) },
    });
    resultRefs.push({ reference: fullUrl });
  }

  const conclusion = panel
    ? abnormal.length > 0
      ? `Abnormal: ${abnormal.join(', ')}`
      : 'All results within reference range'
    : `This analyzer has no assay for ${coding?.code ? `${coding.system ?? ''}|${coding.code}` : 'an uncoded order'}; no measurement was made`;
  const report: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    identifier: [{ system, value: orderId }],
    status: 'final',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }],
      },
    ],
    code: reportCode,
    subject: { reference: patient },
    basedOn: [{ reference: orderRef }],
    effectiveDateTime: at,
    issued: at,
    result: resultRefs,
    conclusion,
  };
  entries.push({
    fullUrl: `urn:uuid:${stableUuid(system, orderId)}`,
    resource: report,
    request: { method: 'POST', url: 'DiagnosticReport', ifNoneExist: identifierQuery(system, orderId) },
  });

  const name = panel?.display ?? order.code?.text ?? coding?.display ?? 'unknown test';
  return {
    order: orderRef,
    deviceId,
    patient,
    bundle: { resourceType: 'Bundle', type: 'transaction', entry: entries },
    observations: resultRefs.length,
    // Shown in logs and on the status page: what was run, never whom it was for or what it found.
    summary: `${name}: ${resultRefs.length} observation(s)`,
  };
}

/** Several orders' transactions as one (batching): fullUrls are unique per order, so entries never collide. */
export function mergeTransactions(bundles: readonly Bundle[]): Bundle {
  return { resourceType: 'Bundle', type: 'transaction', entry: bundles.flatMap((bundle) => bundle.entry ?? []) };
}
