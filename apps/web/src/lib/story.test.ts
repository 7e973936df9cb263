import type { AuditEvent, Bundle, Communication, DiagnosticReport, Resource, ServiceRequest } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { type ActivityItem, versionItems } from './activity.ts';
import { orderDisplayStatus } from './order-status.ts';
import { storyOf } from './story.ts';

const dana = { reference: 'Practitioner/dana' };
const device = { reference: 'ClientApplication/device' };

function version<T extends Resource>(resource: T, versionId: string, lastUpdated: string, author = dana): T {
  return { ...resource, meta: { versionId, lastUpdated, author } };
}

function history(...versions: Resource[]): Bundle {
  return { resourceType: 'Bundle', type: 'history', entry: versions.map((resource) => ({ resource })) };
}

const order: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'o1',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
};
const report: DiagnosticReport = {
  resourceType: 'DiagnosticReport',
  id: 'r1',
  status: 'final',
  code: { text: 'CBC' },
  basedOn: [{ reference: 'ServiceRequest/o1' }],
};
const note: Communication = { resourceType: 'Communication', id: 'n1', status: 'completed' };
const delivery: AuditEvent = {
  resourceType: 'AuditEvent',
  id: 'a1',
  type: { code: 'transmit' },
  recorded: '2026-01-01T10:00:02Z',
  agent: [{ requestor: false }],
  source: { observer: { reference: 'Subscription/s1' } },
  outcome: '0',
  entity: [{ what: { reference: 'ServiceRequest/o1' } }, { what: { reference: 'Subscription/s1' } }],
};

describe('versionItems', () => {
  it('numbers versions from the oldest (history is newest first)', () => {
    const items = versionItems(
      history(
        version({ ...order, status: 'completed' }, '2', '2026-01-01T10:05:00Z'),
        version(order, '1', '2026-01-01T10:00:00Z')
      )
    );
    expect(items.map((item) => item.kind === 'version' && [item.version, item.versions])).toEqual([
      [2, 2],
      [1, 2],
    ]);
  });
});

describe('storyOf: the newest order as a sequence', () => {
  it('is undefined before any order', () => {
    expect(storyOf([])).toBeUndefined();
  });

  it('takes who placed the order from its first version, the deliveries, the result and the latest note', () => {
    const items: ActivityItem[] = [
      ...versionItems(history(version(note, '1', '2026-01-01T10:09:00Z', device))),
      ...versionItems(history(version(report, '1', '2026-01-01T10:08:00Z', device))),
      ...versionItems(
        history(
          version({ ...order, status: 'on-hold' }, '2', '2026-01-01T10:07:00Z'),
          version(order, '1', '2026-01-01T10:00:00Z')
        )
      ),
      { kind: 'delivery', at: delivery.recorded, event: delivery },
    ];
    const story = storyOf(items);
    expect(story?.order.status).toBe('on-hold');
    expect(story?.placed.meta?.versionId).toBe('1');
    expect(story?.deliveries.map((event) => event.id)).toEqual(['a1']);
    expect(story?.result?.id).toBe('r1');
    expect(story?.note?.id).toBe('n1');
  });

  it('leaves out deliveries and reports of other orders', () => {
    const other = { ...delivery, id: 'a2', entity: [{ what: { reference: 'ServiceRequest/o2' } }] };
    const story = storyOf([
      ...versionItems(history(version({ ...report, basedOn: [{ reference: 'ServiceRequest/o2' }] }, '1', 'b'))),
      ...versionItems(history(version(order, '1', 'a'))),
      { kind: 'delivery', at: 'a', event: other },
    ]);
    expect(story?.deliveries).toEqual([]);
    expect(story?.result).toBeUndefined();
  });
});

describe('orderDisplayStatus: the order shows as completed once its report is released', () => {
  it('an active order with a final report is shown completed, marked as derived', () => {
    expect(orderDisplayStatus(order, [report])).toEqual({ status: 'completed', derived: true });
  });

  it("a preliminary report leaves the order's own status", () => {
    expect(orderDisplayStatus(order, [{ ...report, status: 'preliminary' }])).toEqual({
      status: 'active',
      derived: false,
    });
  });

  it('a revoked order stays revoked whatever the report says', () => {
    expect(orderDisplayStatus({ ...order, status: 'revoked' }, [report])).toEqual({
      status: 'revoked',
      derived: false,
    });
  });
});
