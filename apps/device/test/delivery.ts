import type { ServiceRequest } from '@medplum/fhirtypes';
import { restHookHeaders } from '@org/auth/testing';
import type { DeviceConfig } from '../src/config.ts';

/** A rest-hook delivery exactly as Medplum sends one (`restHookHeaders`), or one changed as `tamper` says. */
export function delivery(
  config: DeviceConfig,
  resource: ServiceRequest,
  tamper: { body?: (body: string) => string; password?: string; signature?: string | null } = {}
): RequestInit & { headers: Record<string, string> } {
  const body = JSON.stringify(resource);
  const { 'X-Signature': signature, ...headers } = restHookHeaders(body, {
    username: config.DEVICE_WEBHOOK_USERNAME,
    password: tamper.password ?? config.DEVICE_WEBHOOK_PASSWORD,
    secret: config.DEVICE_WEBHOOK_SECRET,
  });
  const sent = tamper.signature === undefined ? signature : tamper.signature;
  return {
    method: 'POST',
    headers: sent === null || sent === undefined ? headers : { ...headers, 'X-Signature': sent },
    body: tamper.body ? tamper.body(body) : body,
  };
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
