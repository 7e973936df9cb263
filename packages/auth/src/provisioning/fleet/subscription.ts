import { randomBytes } from 'node:crypto';
import type { MedplumClient } from '@medplum/core';
import type { Subscription } from '@medplum/fhirtypes';
import { SUBSCRIPTION_EXTENSIONS } from '../../ids.ts';
import { byTag, tag } from '../model/entries.ts';

/**
 * Each enrolled analyzer's own lab-order Subscription: new ServiceRequests addressed to its Device go to its webhook,
 * with its own Basic credentials and HMAC key (the same shape as the model's `subscription/lab-orders`). So two
 * analyzers never receive each other's orders, and one leaked webhook key forges orders for one analyzer only.
 */

export interface DeviceWebhook {
  url: string;
  username: string;
  password: string;
  secret: string;
}

function tagCode(name: string): string {
  return `fleet/subscription/${name}`;
}

function webhookOf(subscription: Subscription): DeviceWebhook | undefined {
  const header = subscription.channel?.header?.find((h) => h.startsWith('Authorization: Basic '));
  const secret = subscription.extension?.find((e) => e.url === SUBSCRIPTION_EXTENSIONS.secret)?.valueString;
  if (!header || !secret || !subscription.channel?.endpoint) return undefined;
  const [username, password] = Buffer.from(header.slice('Authorization: Basic '.length), 'base64')
    .toString('utf8')
    .split(':');
  return username && password ? { url: subscription.channel.endpoint, username, password, secret } : undefined;
}

/** Finds or creates the Subscription; an existing one keeps its credentials unless its URL changed. */
export async function ensureDeviceSubscription(
  admin: MedplumClient,
  name: string,
  deviceId: string,
  url: string
): Promise<DeviceWebhook> {
  const existing = (await admin.searchResources('Subscription', byTag('Subscription', tagCode(name)).split('?')[1]))[0];
  const kept = existing ? webhookOf(existing) : undefined;
  if (existing && kept?.url === url && existing.status === 'active') return kept;
  const webhook: DeviceWebhook = kept
    ? { ...kept, url }
    : {
        url,
        username: `medplum-${name}`,
        password: randomBytes(24).toString('hex'),
        secret: randomBytes(32).toString('hex'),
      };
  const basic = Buffer.from(`${webhook.username}:${webhook.password}`, 'utf8').toString('base64');
  const subscription: Subscription = {
    ...(existing ?? {}),
    resourceType: 'Subscription',
    meta: { ...existing?.meta, tag: existing?.meta?.tag ?? tag(tagCode(name)).tag },
    status: 'active',
    reason: `New lab orders for ${name} (fleet device)`,
    criteria: `ServiceRequest?performer=Device/${deviceId}`,
    channel: {
      type: 'rest-hook',
      endpoint: url,
      payload: 'application/fhir+json',
      header: [`Authorization: Basic ${basic}`],
    },
    extension: [
      { url: SUBSCRIPTION_EXTENSIONS.secret, valueString: webhook.secret },
      { url: SUBSCRIPTION_EXTENSIONS.supportedInteraction, valueCode: 'create' },
    ],
  };
  if (existing) await admin.updateResource(subscription);
  else await admin.createResource(subscription);
  return webhook;
}

/** Revocation: the analyzer's Subscription stops delivering. */
export async function switchOffDeviceSubscription(admin: MedplumClient, name: string): Promise<void> {
  for (const subscription of await admin.searchResources(
    'Subscription',
    byTag('Subscription', tagCode(name)).split('?')[1]
  )) {
    if (subscription.status !== 'off') await admin.updateResource({ ...subscription, status: 'off' });
  }
}
