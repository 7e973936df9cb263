import type { Subscription } from '@medplum/fhirtypes';
import { MODEL_KEYS, SEED_IDS, SUBSCRIPTION_EXTENSIONS } from '../../ids.ts';
import { byTag, entry, type ModelEntry, projectMeta } from './entries.ts';
import type { DeviceClientOptions } from './options.ts';

/** The lab-order Subscription: new orders for the analyzer go to the device's webhook, Basic + HMAC signed. */
export function labOrderSubscription(webhook: DeviceClientOptions['webhook']): ModelEntry {
  const key = MODEL_KEYS.labOrderSubscription;
  const basic = Buffer.from(`${webhook.username}:${webhook.password}`, 'utf8').toString('base64');
  return entry<Subscription>({
    key,
    via: 'fhir',
    match: byTag('Subscription', key),
    resource: {
      resourceType: 'Subscription',
      id: SEED_IDS.labOrderSubscription,
      meta: projectMeta(key),
      status: 'active',
      reason: 'New lab orders for the analyzer (apps/device webhook inbox)',
      criteria: `ServiceRequest?performer=Device/${SEED_IDS.analyzerDevice}`,
      channel: {
        type: 'rest-hook',
        endpoint: webhook.url,
        payload: 'application/fhir+json',
        header: [`Authorization: Basic ${basic}`],
      },
      extension: [
        { url: SUBSCRIPTION_EXTENSIONS.secret, valueString: webhook.secret },
        { url: SUBSCRIPTION_EXTENSIONS.supportedInteraction, valueCode: 'create' },
      ],
    },
  });
}
