import type { ServiceRequest } from '@medplum/fhirtypes';
import { signRestHookBody } from '@org/auth/webhooks';
import type { DeviceConfig } from '../src/config.ts';

/** A rest-hook delivery exactly as Medplum sends one: the body string, Basic from channel.header, X-Signature. */
export function delivery(
  config: DeviceConfig,
  resource: ServiceRequest,
  tamper: { body?: (body: string) => string; password?: string; signature?: string | null } = {}
): RequestInit & { headers: Record<string, string> } {
  const body = JSON.stringify(resource);
  const basic = Buffer.from(
    `${config.DEVICE_WEBHOOK_USERNAME}:${tamper.password ?? config.DEVICE_WEBHOOK_PASSWORD}`
  ).toString('base64');
  const headers: Record<string, string> = {
    'Content-Type': 'application/fhir+json',
    'X-Medplum-Subscription': 'sub-1',
    'X-Medplum-Interaction': 'create',
    Authorization: `Basic ${basic}`,
  };
  const signature =
    tamper.signature === undefined ? signRestHookBody(body, config.DEVICE_WEBHOOK_SECRET) : tamper.signature;
  if (signature !== null) headers['X-Signature'] = signature;
  return { method: 'POST', headers, body: tamper.body ? tamper.body(body) : body };
}

export function labOrder(id: string, overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id,
    meta: { versionId: '1', lastUpdated: new Date().toISOString() },
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
    subject: { reference: 'Patient/p-1' },
    performer: [{ reference: 'Device/dev-1' }],
    ...overrides,
  };
}
