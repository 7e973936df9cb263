/**
 * The lab story of one order as a sequence, built from a patient's activity (./activity.ts): who placed the order,
 * each webhook delivery Medplum recorded, who posted the result, and who added the latest note and for whom.
 */
import { getReferenceString } from '@medplum/core';
import type { AuditEvent, Communication, DiagnosticReport, Resource, ServiceRequest } from '@medplum/fhirtypes';
import type { ActivityItem } from './activity.ts';
import { deliveredResource } from './attribution.ts';

export interface Story {
  order: ServiceRequest;
  /** The order's first version: its `meta.author` placed it. */
  placed: ServiceRequest;
  deliveries: AuditEvent[];
  /** The first version of the report naming the order in `basedOn`. */
  result: DiagnosticReport | undefined;
  /** The patient's latest note (notes are about the patient, not one order). */
  note: Communication | undefined;
}

/** The story of the newest order, oldest events first; undefined before any order exists. */
export function storyOf(items: readonly ActivityItem[]): Story | undefined {
  const versions = items.flatMap((item) => (item.kind === 'version' ? [item] : []));
  const firstOf = (resource: Resource) =>
    versions.find((item) => item.version === 1 && getReferenceString(item.resource) === getReferenceString(resource))
      ?.resource;
  const newestOf = <T extends Resource>(type: T['resourceType']) =>
    versions.find((item) => item.resource.resourceType === type && item.version === item.versions)?.resource as
      | T
      | undefined;

  const order = newestOf<ServiceRequest>('ServiceRequest');
  if (!order) return undefined;
  const orderRef = getReferenceString(order);
  const deliveries = items
    .flatMap((item) => (item.kind === 'delivery' ? [item.event] : []))
    .filter((event) => deliveredResource(event)?.reference === orderRef)
    .reverse();
  const report = versions
    .map((item) => item.resource)
    .find(
      (resource): resource is DiagnosticReport =>
        resource.resourceType === 'DiagnosticReport' &&
        (resource.basedOn ?? []).some((ref) => ref.reference === orderRef)
    );
  return {
    order,
    placed: (firstOf(order) as ServiceRequest | undefined) ?? order,
    deliveries,
    result: report && ((firstOf(report) as DiagnosticReport | undefined) ?? report),
    note: newestOf<Communication>('Communication'),
  };
}
