import type { AuditEvent } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { attributionOf, deliveredResource, deliveryOutcome } from './attribution.ts';

const proxy = { reference: 'ClientApplication/proxy', display: 'Legacy clinic proxy' };
const dana = { reference: 'Practitioner/dana', display: 'Dr. Dana Whitfield' };

describe('attributionOf: the pattern a version was written through, from meta.author and meta.onBehalfOf', () => {
  it('a ClientApplication on behalf of a user is the server-side pattern', () => {
    expect(attributionOf({ author: proxy, onBehalfOf: dana })).toEqual({
      pattern: 'server-side',
      author: proxy,
      onBehalfOf: dana,
    });
  });

  it('a ClientApplication acting as itself (client credentials) is the device pattern', () => {
    expect(attributionOf({ author: { reference: 'ClientApplication/device' } }).pattern).toBe('device');
  });

  it("a user's own profile is the client-side pattern", () => {
    expect(attributionOf({ author: dana }).pattern).toBe('client-side');
    expect(attributionOf({ author: { reference: 'Patient/p1' } }).pattern).toBe('client-side');
  });

  it('no author, or Medplum itself, is the system', () => {
    expect(attributionOf(undefined).pattern).toBe('system');
    expect(attributionOf({ author: { reference: 'system' } }).pattern).toBe('system');
  });
});

describe('delivery AuditEvents', () => {
  const event = (outcome: AuditEvent['outcome']): AuditEvent => ({
    resourceType: 'AuditEvent',
    type: { code: 'transmit' },
    recorded: '2026-01-01T00:00:00.000Z',
    agent: [{ requestor: false }],
    source: { observer: { reference: 'Subscription/s1' } },
    outcome,
    entity: [{ what: { reference: 'ServiceRequest/o1' } }, { what: { reference: 'Subscription/s1' } }],
  });

  it('reads the outcome code as Medplum writes it', () => {
    expect(deliveryOutcome(event('0'))).toEqual({ ok: true, label: 'success' });
    expect(deliveryOutcome(event('4'))).toEqual({ ok: false, label: 'minor failure' });
    expect(deliveryOutcome(event('8'))).toEqual({ ok: false, label: 'serious failure' });
    expect(deliveryOutcome(event('12'))).toEqual({ ok: false, label: 'major failure' });
  });

  it('the delivered resource is the entity that is not the Subscription', () => {
    expect(deliveredResource(event('0'))).toEqual({ reference: 'ServiceRequest/o1' });
  });
});
