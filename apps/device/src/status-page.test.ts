import { describe, expect, it } from 'vitest';
import type { StatusSnapshot } from './device.ts';
import { renderStatusPage } from './status-page.ts';

const XSS = '<img src=x onerror=alert(1)>';

function snapshot(): StatusSnapshot {
  return {
    device: {
      authMethod: 'client-credentials',
      authSource: 'default',
      authReason: XSS,
      authDescription: 'a "quoted" credential',
      clientId: 'client-1',
      medplum: 'http://localhost:8103/',
      dataDir: '.data/device',
      webhookPath: '/webhooks/medplum',
      jwks: false,
    },
    stats: {
      startedAt: '2026-01-01T00:00:00.000Z',
      ordersReceived: 1,
      redeliveries: 0,
      ordersIgnored: 0,
      webhooksRefused: 0,
      transactions: 0,
      resultsSent: 0,
      resourcesCreated: 0,
      resourcesAlreadyThere: 0,
      retries: 1,
      failed: 0,
      lastError: { at: '2026-01-01T00:00:01.000Z', message: XSS },
    },
    outbox: { pending: 1, sent: 0, failed: 1 },
    uploader: { running: true, failures: 1 },
    pending: [{ order: 'ServiceRequest/1', summary: XSS, attempts: 1, lastError: XSS, queuedAt: '' }],
    failed: [{ order: 'ServiceRequest/2', summary: '', reason: XSS, failedAt: '' }],
    recent: [`00:00:00 order ${XSS}`],
  };
}

describe('status page', () => {
  it('escapes every value it shows (reasons, errors, summaries, log lines) and lists pending and failed results', async () => {
    const page = String(await renderStatusPage(snapshot()));
    expect(page).not.toContain('<img');
    expect(page.split('&lt;img src=x onerror=alert(1)&gt;').length - 1).toBe(6);
    expect(page).toContain('a &quot;quoted&quot; credential');
    expect(page).toContain('<h2>Waiting</h2><ul><li><code>ServiceRequest/1</code>');
    expect(page).toContain('<h2>Failed</h2><ul><li><code>ServiceRequest/2</code>');
  });
});
