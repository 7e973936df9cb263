/**
 * A patient's activity: every version of every resource of the lab story (from `_history`) and every webhook
 * delivery of those orders (the Subscription's AuditEvents), in one list, newest first.
 */
import {
  badRequest,
  getReferenceString,
  isOperationOutcome,
  type MedplumClient,
  OperationOutcomeError,
} from '@medplum/core';
import type { AuditEvent, Bundle, Patient, Resource } from '@medplum/fhirtypes';

/** The resource types of the story: the order, the device's results, and notes written through the proxy. */
export const STORY_TYPES = ['ServiceRequest', 'DiagnosticReport', 'Observation', 'Communication'] as const;

export type ActivityItem =
  | { kind: 'version'; at: string; resource: Resource; version: number; versions: number }
  | { kind: 'delivery'; at: string; event: AuditEvent };

/** Every version of every story resource of the patient, plus the delivery AuditEvents of its orders. */
export async function loadActivity(medplum: MedplumClient, patient: Patient): Promise<ActivityItem[]> {
  const subject = getReferenceString(patient);
  const current = (
    await Promise.all(
      STORY_TYPES.map((type) =>
        medplum.searchResources(type, { subject, _count: '100', _sort: '-_lastUpdated' }, { cache: 'no-cache' })
      )
    )
  ).flat();
  const versions = (await readHistories(medplum, current)).flatMap(versionItems);
  const orders = current.filter((resource) => resource.resourceType === 'ServiceRequest').map(getReferenceString);
  const events =
    orders.length === 0
      ? []
      : await medplum.searchResources(
          'AuditEvent',
          { entity: orders.join(','), _count: '200', _sort: '-_lastUpdated' },
          { cache: 'no-cache' }
        );
  const deliveries: ActivityItem[] = events.map((event) => ({
    kind: 'delivery',
    at: event.recorded ?? event.meta?.lastUpdated ?? '',
    event,
  }));
  return [...versions, ...deliveries].sort((a, b) => b.at.localeCompare(a.at));
}

/**
 * The `_history` of each resource, in one batch request: a patient with many orders has dozens of story resources,
 * and one request each would queue in the browser six at a time. Each entry is read and access-checked on its own,
 * as a separate read would be; a refused or failed entry fails the whole view, as a failed read did.
 */
async function readHistories(medplum: MedplumClient, resources: Resource[]): Promise<Bundle[]> {
  if (resources.length === 0) return [];
  const batch = await medplum.executeBatch({
    resourceType: 'Bundle',
    type: 'batch',
    entry: resources.map((resource) => ({
      request: { method: 'GET', url: `${resource.resourceType}/${resource.id}/_history` },
    })),
  });
  return (batch.entry ?? []).map((entry) => {
    if (entry.resource?.resourceType !== 'Bundle') {
      throw new OperationOutcomeError(
        isOperationOutcome(entry.resource) ? entry.resource : badRequest(`history: ${entry.response?.status}`)
      );
    }
    return entry.resource;
  });
}

/** One item per version (deleted versions, answered as 410 without a resource, are left out). */
export function versionItems(history: Bundle): ActivityItem[] {
  const resources = (history.entry ?? []).flatMap((entry) => (entry.resource ? [entry.resource] : []));
  // History is newest first; number the versions from the oldest, as a reader counts them.
  return resources.map((resource, index) => ({
    kind: 'version',
    at: resource.meta?.lastUpdated ?? '',
    resource,
    version: resources.length - index,
    versions: resources.length,
  }));
}
