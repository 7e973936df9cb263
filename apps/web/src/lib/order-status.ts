/**
 * The order's lifecycle as the apps show it. The ServiceRequest is the placer's record; the analyzer answers it with a
 * DiagnosticReport naming it in `basedOn` and never writes the order itself (its AccessPolicy reads orders and creates
 * results, nothing more: a compromised analyzer cannot alter or cancel an order). So "completed" is derived here from
 * the report, as a placer's order list does from the filler's result status (HL7 v2 ORC-5 from OBR-25), rather than
 * granting the device `update` on ServiceRequest.
 */
import type { DiagnosticReport, ServiceRequest } from '@medplum/fhirtypes';

/** DiagnosticReport statuses that mean the result is released (FHIR R4 `diagnostic-report-status`). */
const RELEASED = new Set(['final', 'amended', 'corrected', 'appended']);

export interface OrderDisplayStatus {
  /** What to show: the order's own status, or `completed` once a released report answers an active order. */
  status: string;
  /** True when the shown status comes from the report, not from the ServiceRequest. */
  derived: boolean;
}

export function orderDisplayStatus(order: ServiceRequest, reports: readonly DiagnosticReport[]): OrderDisplayStatus {
  const released = reports.some((report) => RELEASED.has(report.status));
  if (order.status === 'active' && released) return { status: 'completed', derived: true };
  return { status: order.status, derived: false };
}
