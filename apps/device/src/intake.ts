import { getStatus, isOperationOutcome } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { isFhirId } from '@org/auth/device';
import { createMemoryDeliveryLedger, type DeliveryLedger } from '@org/auth/webhooks';
import type { Activity } from './activity.ts';
import { OrderRejected, runOrder, stableUuid } from './analyzer.ts';
import { type LabCatalog, LOINC } from './catalog.ts';
import { plural } from './log.ts';
import type { Outbox } from './outbox.ts';

export type OrderSource = 'webhook' | 'file' | 'catch-up';

export type ReceiveResult =
  | { outcome: 'queued'; id: string; order: string; summary: string }
  | { outcome: 'duplicate'; order: string }
  | { outcome: 'ignored'; reason: string };

/** A webhook order that could not be checked against Medplum right now: answer 503 so Medplum delivers it again. */
export type DeliveryResult = ReceiveResult | { outcome: 'unavailable'; reason: string };

export interface IntakeOptions {
  outbox: Outbox;
  activity: Activity;
  /** Wakes the uploader once results are on disk. */
  onQueued: () => void;
  /** Reads an order back with the device's own credentials. */
  readOrder: (id: string) => Promise<ServiceRequest>;
  /** Active orders the device's policy lets it see (only its own), newest first. */
  activeOrders: () => Promise<ServiceRequest[]>;
  /** Read every webhook order back from Medplum before running it (default true). */
  confirmOrders?: boolean;
  deviceId?: string;
  /** What the analyzer can run now (the published catalogue). */
  catalog: () => LabCatalog;
  /** Reads the catalogue again: an order for a test it does not know yet may follow a newer publish. */
  refreshCatalog: () => Promise<void>;
}

/**
 * How orders come in: from a verified webhook (read back from Medplum first), a file, or the catch-up of orders the
 * device missed. Each order runs once: its results go to the durable outbox before anything is answered, and a
 * delivery already turned into results is a duplicate, across restarts (the ledger is backed by the outbox).
 */
export function createIntake(options: IntakeOptions) {
  const { outbox, activity } = options;
  const { log, stats } = activity;

  const memory = createMemoryDeliveryLedger();
  const ledger: DeliveryLedger = {
    begin: (key) => (outbox.hasDelivery(key) ? 'duplicate' : memory.begin(key)),
    commit: (key) => memory.commit(key),
    abort: (key) => memory.abort(key),
  };

  function receiveOrder(order: unknown, from: { via: OrderSource; deliveryKey?: string }): ReceiveResult {
    const resource = order as ServiceRequest | undefined;
    if (resource?.resourceType !== 'ServiceRequest' || !isFhirId(resource.id)) {
      stats.ordersIgnored++;
      const what = resource?.resourceType ? `a ${resource.resourceType}` : 'something that is not a resource';
      log('order', `ignored ${what} from ${from.via}: only stored ServiceRequests are lab orders`);
      return { outcome: 'ignored', reason: 'not a stored ServiceRequest' };
    }
    const ref = `ServiceRequest/${resource.id}`;
    if (outbox.hasOrder(ref)) {
      stats.redeliveries++;
      log('order', `${ref} again (${from.via}): results already made, not run twice`);
      return { outcome: 'duplicate', order: ref };
    }
    let results: ReturnType<typeof runOrder>;
    try {
      results = runOrder(resource, {
        catalog: options.catalog(),
        at: activity.iso(),
        ...(options.deviceId ? { deviceId: options.deviceId } : {}),
      });
    } catch (error) {
      if (!(error instanceof OrderRejected)) throw error;
      stats.ordersIgnored++;
      log('order', `cannot run ${ref}: ${error.message}`);
      return { outcome: 'ignored', reason: error.message };
    }
    stats.ordersReceived++;
    log('order', `received ${ref} via ${from.via}; ran ${results.summary}`);
    const id = stableUuid('result', ref);
    const queued = outbox.enqueue({
      id,
      order: ref,
      ...(from.deliveryKey ? { deliveryKey: from.deliveryKey } : {}),
      bundle: results.bundle,
      summary: results.summary,
    });
    if (!queued) return { outcome: 'duplicate', order: ref };
    log(
      'outbox',
      `results for ${ref} written and flushed to disk; ${plural(outbox.counts().pending, 'result')} waiting`
    );
    options.onQueued();
    return { outcome: 'queued', id, order: ref, summary: results.summary };
  }

  /**
   * A verified webhook delivery. The body only says what Medplum sent; before running it the device reads the order
   * back with its own credentials (which only reach orders addressed to it) and runs that copy.
   */
  async function receiveDelivery(resource: unknown, deliveryKey: string): Promise<DeliveryResult> {
    const claimed = resource as ServiceRequest | undefined;
    const isOrder = claimed?.resourceType === 'ServiceRequest' && isFhirId(claimed.id);
    if (!isOrder || options.confirmOrders === false || outbox.hasOrder(`ServiceRequest/${claimed?.id}`)) {
      return receiveOrder(resource, { via: 'webhook', deliveryKey });
    }
    const ref = `ServiceRequest/${claimed?.id}`;
    let stored: ServiceRequest;
    try {
      stored = await options.readOrder(claimed?.id ?? '');
    } catch (error) {
      const outcome = (error as { outcome?: unknown }).outcome;
      const status = isOperationOutcome(outcome) ? getStatus(outcome) : undefined;
      if (status === 403 || status === 404 || status === 410) {
        stats.ordersIgnored++;
        log('order', `ignored ${ref} from a verified webhook: Medplum has no such order for this device (${status})`);
        return { outcome: 'ignored', reason: `not an order for this device in Medplum (${status})` };
      }
      log(
        'order',
        `could not read ${ref} back from Medplum (${(error as Error).message}); asking Medplum to deliver it again`
      );
      return { outcome: 'unavailable', reason: 'order could not be confirmed with Medplum; deliver again' };
    }
    const code = stored.code?.coding?.find((c) => c.system === LOINC)?.code;
    if (code && !options.catalog().has(code)) await options.refreshCatalog();
    return receiveOrder(stored, { via: 'webhook', deliveryKey });
  }

  /** Orders addressed to this device that it never received (it was down while Medplum gave up retrying). */
  async function catchUp(): Promise<number> {
    const missed = (await options.activeOrders()).filter((order) => !outbox.hasOrder(`ServiceRequest/${order.id}`));
    let queued = 0;
    for (const order of missed) {
      if (receiveOrder(order, { via: 'catch-up' }).outcome === 'queued') queued++;
    }
    if (queued > 0) {
      log(
        'order',
        `catch-up: ${plural(queued, 'active order')} this device had not seen (Medplum may have given up delivering while it was down); results that already exist in Medplum are found, not duplicated`
      );
    }
    return queued;
  }

  return { ledger, receiveOrder, receiveDelivery, catchUp };
}
