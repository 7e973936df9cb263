import { ensureTrailingSlash, getStatus, isOperationOutcome } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { createDeviceClient, type DeviceClient, isFhirId } from '@org/auth/device';
import { createMemoryDeliveryLedger, type DeliveryLedger, type RestHookRejection } from '@org/auth/webhooks';
import { OrderRejected, runOrder, stableUuid } from './analyzer.ts';
import type { BackoffOptions } from './backoff.ts';
import type { DeviceAuthMethod, DeviceConfig, SettingSource } from './config.ts';
import { type Area, inTime, type LogLine, plural, silentLogger } from './log.ts';
import { type FailedItem, type Outbox, type OutboxCounts, type OutboxItem, openOutbox } from './outbox.ts';
import { createResponseRecorder, createTransport } from './transport.ts';
import {
  createUploader,
  type SendTransaction,
  type UploadEvent,
  type Uploader,
  type UploaderState,
} from './uploader.ts';

export interface DeviceOptions {
  config: DeviceConfig;
  /** Whether DEVICE_AUTH_METHOD was set or defaulted (only for the log line that says why). */
  authMethodSource?: SettingSource;
  log?: LogLine;
  /** The fetch every call to Medplum goes through (tests wrap it). */
  fetch?: typeof fetch;
  backoff?: BackoffOptions;
  /** Most results per transaction; 1 = one by one. Default 20. */
  maxBatch?: number;
  lingerMs?: number;
  /** The analyzer's Device id; by default the Device each order is addressed to. */
  deviceId?: string;
  /** Oldest `meta.lastUpdated` a webhook delivery may carry (ms). Default 10 minutes. */
  webhookMaxAgeMs?: number;
  /** Read every webhook order back from Medplum before running it. Default true. */
  confirmOrders?: boolean;
  /** How an order is read back (tests); default the device's own client. */
  readOrder?: (id: string) => Promise<ServiceRequest>;
  /** On start, run active orders addressed to this device that it never received. Default true. */
  catchUp?: boolean;
  /** While running, look for missed orders this often (ms). Default 5 minutes; 0 = only on start. */
  catchUpEveryMs?: number;
  /** Most orders looked at by the catch-up. Default 100. */
  catchUpLimit?: number;
  /** Replaces the Medplum transport (unit tests of the inbox without a server). */
  send?: SendTransaction;
  now?: () => number;
}

export interface DeviceStats {
  startedAt: string;
  ordersReceived: number;
  redeliveries: number;
  ordersIgnored: number;
  webhooksRefused: number;
  transactions: number;
  resultsSent: number;
  resourcesCreated: number;
  resourcesAlreadyThere: number;
  retries: number;
  failed: number;
  lastError?: { at: string; message: string };
  lastSentAt?: string;
}

export interface StatusSnapshot {
  device: {
    authMethod: DeviceAuthMethod;
    authSource: SettingSource;
    /** Why this method, in one sentence. */
    authReason: string;
    /** What the credential strategy says about itself. */
    authDescription: string;
    clientId: string;
    tokenExpiresAt?: string;
    medplum: string;
    dataDir: string;
    webhookPath: string;
    jwks: boolean;
  };
  stats: DeviceStats;
  outbox: OutboxCounts;
  uploader: { running: boolean; failures: number; retryAt?: string };
  pending: { order: string; summary: string; attempts: number; lastError?: string; queuedAt: string }[];
  failed: { order: string; summary: string; reason: string; failedAt: string }[];
  recent: string[];
}

export type OrderSource = 'webhook' | 'file' | 'catch-up';

export type ReceiveResult =
  | { outcome: 'queued'; id: string; order: string; summary: string }
  | { outcome: 'duplicate'; order: string }
  | { outcome: 'ignored'; reason: string };

/** A webhook order that could not be checked against Medplum right now: answer 503 so Medplum delivers it again. */
export type DeliveryResult = ReceiveResult | { outcome: 'unavailable'; reason: string };

export interface Device {
  readonly config: DeviceConfig;
  readonly client: DeviceClient;
  readonly outbox: Outbox;
  readonly uploader: Uploader;
  /** Redelivery detection for the webhook inbox: remembered in the outbox, so it survives a restart. */
  readonly ledger: DeliveryLedger;
  readonly webhookMaxAgeMs: number;
  /** An order from the webhook inbox or a file: run it, queue the results durably, wake the uploader. */
  receiveOrder(order: unknown, source: { via: OrderSource; deliveryKey?: string }): ReceiveResult;
  /**
   * A verified webhook delivery. The body only says what Medplum sent; before running it the device reads the order
   * back with its own credentials (which only reach orders addressed to it) and runs that copy, unless
   * `confirmOrders` is off.
   */
  receiveDelivery(resource: unknown, deliveryKey: string): Promise<DeliveryResult>;
  /** Orders addressed to this device that it never received (it was down while Medplum gave up retrying). */
  catchUp(): Promise<number>;
  webhookRefused(reason: RestHookRejection, status: number): void;
  log: LogLine;
  status(): StatusSnapshot;
  /** Checks access once (logs, never throws) and starts sending whatever waits in the outbox. */
  start(): Promise<void>;
  /** Waits up to `graceMs` (default 5 s) for an upload in flight; whatever is unconfirmed stays in the outbox. */
  stop(graceMs?: number): Promise<void>;
}

const RECENT_LINES = 40;

function authReason(method: DeviceAuthMethod, source: SettingSource): string {
  const why =
    method === 'client-credentials'
      ? 'OAuth2 client credentials: the secret goes only to the token endpoint; the token is cached and renewed before it expires'
      : method === 'basic'
        ? 'HTTP Basic: the FALLBACK for edges that cannot do OAuth; the secret travels with every request'
        : 'private_key_jwt: no shared secret on the device; Medplum checks a signed assertion against the JWKS this device publishes';
  return `${method} (${source === 'default' ? 'the default; DEVICE_AUTH_METHOD is not set' : 'chosen by DEVICE_AUTH_METHOD'}) - ${why}`;
}

/** Wires the analyzer: credentials (@org/auth/device), outbox, uploader, inbox bookkeeping. Listens on nothing. */
export async function createDevice(options: DeviceOptions): Promise<Device> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const source = options.authMethodSource ?? 'environment';
  const recent: string[] = [];
  const baseLog = options.log ?? silentLogger;
  const log: LogLine = (area: Area, message: string) => {
    recent.push(`${iso().slice(11, 19)} ${area} ${message}`);
    if (recent.length > RECENT_LINES) recent.shift();
    baseLog(area, message);
  };

  const stats: DeviceStats = {
    startedAt: iso(),
    ordersReceived: 0,
    redeliveries: 0,
    ordersIgnored: 0,
    webhooksRefused: 0,
    transactions: 0,
    resultsSent: 0,
    resourcesCreated: 0,
    resourcesAlreadyThere: 0,
    retries: 0,
    failed: 0,
  };

  const baseUrl = ensureTrailingSlash(config.MEDPLUM_BASE_URL);
  const tokenUrl = new URL('oauth2/token', baseUrl).toString();
  const recorder = createResponseRecorder(
    new URL('fhir/R4', baseUrl).toString(),
    options.fetch ?? globalThis.fetch.bind(globalThis)
  );

  // The outbox first: its lock tells a second process on the same data folder to stop before anything else happens.
  const outbox = openOutbox(config.DEVICE_DATA_DIR, { now });
  const reason = authReason(config.DEVICE_AUTH_METHOD, source);
  log('auth', reason);
  let client: DeviceClient;
  try {
    client = await createDeviceClient({
      baseUrl,
      tokenUrl,
      method: config.DEVICE_AUTH_METHOD,
      clientId: config.DEVICE_MEDPLUM_CLIENT_ID,
      clientSecret: config.DEVICE_AUTH_METHOD === 'private-key-jwt' ? undefined : config.DEVICE_MEDPLUM_CLIENT_SECRET,
      dataDir: config.DEVICE_DATA_DIR,
      // The outbox is the one place that retries (with back-off and jitter); the SDK's own retries would hide outages.
      maxRetries: 0,
      fetch: recorder.fetch,
      log: (line) => log('auth', line),
    });
  } catch (error) {
    outbox.close();
    throw error;
  }

  const waiting = outbox.counts();
  if (waiting.pending > 0 || waiting.failed > 0) {
    log(
      'outbox',
      `opened ${outbox.file}: ${plural(waiting.pending, 'result')} still to send${waiting.failed ? `, ${waiting.failed} refused earlier (see \`device status\`)` : ''}`
    );
  }

  const onEvent = (event: UploadEvent) => {
    const orders = (items: OutboxItem[]) =>
      items.length === 1 && items[0] ? items[0].order : plural(items.length, 'result');
    switch (event.type) {
      case 'sent': {
        stats.transactions++;
        stats.resultsSent += event.items.length;
        stats.resourcesCreated += event.created;
        stats.resourcesAlreadyThere += event.existing;
        stats.lastSentAt = iso();
        const resources = event.created + event.existing;
        log(
          'upload',
          `sent ${event.items.length === 1 ? `results for ${orders(event.items)}` : plural(event.items.length, 'result')} in one transaction: ${plural(resources, 'resource')} (${event.created} created, ${event.existing} already there) in ${inTime(event.ms)}; ${plural(outbox.counts().pending, 'result')} waiting`
        );
        break;
      }
      case 'retry':
        stats.retries++;
        stats.lastError = { at: iso(), message: event.error };
        log(
          'upload',
          `${event.error} - ${plural(outbox.counts().pending, 'result')} kept in the outbox; retry ${event.attempt} in ${inTime(event.delayMs)}`
        );
        break;
      case 'split':
        log(
          'upload',
          `a batch of ${event.items.length} was refused (${event.error}); sending them one by one to find the culprit`
        );
        break;
      case 'failed':
        stats.failed++;
        stats.lastError = { at: iso(), message: event.error };
        log(
          'upload',
          `FAILED ${event.item.order}: Medplum refused it (${event.error}); kept in the outbox as failed, not retried`
        );
        break;
    }
  };

  const send = options.send ?? createTransport({ client, recorder });
  const uploader = createUploader({
    outbox,
    send,
    onEvent,
    now,
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });

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
      results = runOrder(resource, { at: iso(), ...(options.deviceId ? { deviceId: options.deviceId } : {}) });
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
    uploader.kick();
    return { outcome: 'queued', id, order: ref, summary: results.summary };
  }

  function status(): StatusSnapshot {
    const state: UploaderState = uploader.state();
    const expires = client.tokenExpiresAt();
    const item = (i: OutboxItem) => ({
      order: i.order,
      summary: i.summary,
      attempts: i.attempts,
      ...(i.lastError ? { lastError: i.lastError } : {}),
      queuedAt: i.queuedAt,
    });
    const failedItem = (i: FailedItem) => ({
      order: i.order,
      summary: i.summary,
      reason: i.reason,
      failedAt: i.failedAt,
    });
    return {
      device: {
        authMethod: config.DEVICE_AUTH_METHOD,
        authSource: source,
        authReason: reason,
        authDescription: client.description,
        clientId: config.DEVICE_MEDPLUM_CLIENT_ID,
        ...(expires ? { tokenExpiresAt: new Date(expires).toISOString() } : {}),
        medplum: baseUrl,
        dataDir: config.DEVICE_DATA_DIR,
        webhookPath: '/webhooks/medplum',
        jwks: client.jwks !== undefined,
      },
      stats: { ...stats },
      outbox: outbox.counts(),
      uploader: {
        running: state.running,
        failures: state.failures,
        ...(state.pausedUntil > now() ? { retryAt: new Date(state.pausedUntil).toISOString() } : {}),
      },
      pending: outbox.pending().map(item),
      failed: outbox.failed().map(failedItem),
      recent: [...recent],
    };
  }

  const readOrder = options.readOrder ?? ((id: string) => client.readResource('ServiceRequest', id));

  async function receiveDelivery(resource: unknown, deliveryKey: string): Promise<DeliveryResult> {
    const claimed = resource as ServiceRequest | undefined;
    const isOrder = claimed?.resourceType === 'ServiceRequest' && isFhirId(claimed.id);
    if (!isOrder || options.confirmOrders === false || outbox.hasOrder(`ServiceRequest/${claimed?.id}`)) {
      return receiveOrder(resource, { via: 'webhook', deliveryKey });
    }
    const ref = `ServiceRequest/${claimed?.id}`;
    let stored: ServiceRequest;
    try {
      stored = await readOrder(claimed?.id ?? '');
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
    return receiveOrder(stored, { via: 'webhook', deliveryKey });
  }

  async function catchUp(): Promise<number> {
    // The device's policy only lets it see orders addressed to it, so "every active order" means "mine".
    const orders = await client.searchResources('ServiceRequest', {
      status: 'active',
      _sort: '-_lastUpdated',
      _count: String(options.catchUpLimit ?? 100),
    });
    const missed = orders.filter((order) => !outbox.hasOrder(`ServiceRequest/${order.id}`));
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

  let stopped = false;
  let catchUpTimer: ReturnType<typeof setInterval> | undefined;
  return {
    config,
    client,
    outbox,
    uploader,
    ledger,
    webhookMaxAgeMs: options.webhookMaxAgeMs ?? 10 * 60_000,
    receiveOrder,
    receiveDelivery,
    catchUp,
    webhookRefused(reason, httpStatus) {
      stats.webhooksRefused++;
      log('webhook', `refused a delivery with ${httpStatus}: ${reason}; nothing was run or queued`);
    },
    log,
    status,
    async start() {
      try {
        await client.ready();
        const expires = client.tokenExpiresAt();
        log(
          'auth',
          expires
            ? `access confirmed; token expires ${new Date(expires).toISOString()} (in ${inTime(expires - now())})`
            : 'access configured (no token: Basic credentials go with every request)'
        );
      } catch (error) {
        log(
          'auth',
          `could not obtain access yet (${(error as Error).message}); results wait in the outbox and are retried`
        );
      }
      if (options.catchUp !== false) {
        const run = () =>
          catchUp().catch((error: unknown) => log('order', `catch-up skipped: ${(error as Error).message}`));
        await run();
        const every = options.catchUpEveryMs ?? 5 * 60_000;
        if (every > 0 && !stopped) {
          catchUpTimer = setInterval(run, every);
          catchUpTimer.unref();
        }
      }
      uploader.kick();
    },
    async stop(graceMs) {
      if (stopped) return;
      stopped = true;
      clearInterval(catchUpTimer);
      await uploader.stop(graceMs);
      outbox.close();
    },
  };
}
