import { ensureTrailingSlash } from '@medplum/core';
import type { ServiceRequest } from '@medplum/fhirtypes';
import { createDeviceClient, type DeviceClient } from '@org/auth/device';
import type { DeliveryLedger, RestHookRejection } from '@org/auth/webhooks';
import { createActivity } from './activity.ts';
import type { BackoffOptions } from './backoff.ts';
import { EMPTY_CATALOG, type LabCatalog, loadCatalog } from './catalog.ts';
import type { DeviceAuthMethod, DeviceConfig, SettingSource } from './config.ts';
import { createIntake, type DeliveryResult, type OrderSource, type ReceiveResult } from './intake.ts';
import { inTime, type LogLine, plural, silentLogger } from './log.ts';
import { type Outbox, openOutbox } from './outbox.ts';
import { type StatusSnapshot, statusSnapshot } from './status-snapshot.ts';
import { createResponseRecorder, createTransport } from './transport.ts';
import { createUploader, type SendTransaction, type Uploader } from './uploader.ts';

export type { DeviceStats } from './activity.ts';
export type { DeliveryResult, OrderSource, ReceiveResult } from './intake.ts';
export type { StatusSnapshot } from './status-snapshot.ts';

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
  /** A fixed catalogue instead of the one published to Medplum (unit tests without a server). */
  catalog?: LabCatalog;
  /** Replaces the Medplum transport (unit tests of the inbox without a server). */
  send?: SendTransaction;
  now?: () => number;
}

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

function authReason(method: DeviceAuthMethod, source: SettingSource): string {
  const why =
    method === 'client-credentials'
      ? 'OAuth2 client credentials: the secret goes only to the token endpoint; the token is cached and renewed before it expires'
      : method === 'basic'
        ? 'HTTP Basic: the FALLBACK for edges that cannot do OAuth; the secret travels with every request'
        : 'private_key_jwt: no shared secret on the device; Medplum checks a signed assertion against the JWKS this device publishes';
  return `${method} (${source === 'default' ? 'the default; DEVICE_AUTH_METHOD is not set' : 'chosen by DEVICE_AUTH_METHOD'}) - ${why}`;
}

/**
 * Wires the analyzer — credentials (@org/auth/device), outbox, uploader, order intake (intake.ts), what it reports
 * (activity.ts, status-snapshot.ts) — and runs it. Listens on nothing.
 */
export async function createDevice(options: DeviceOptions): Promise<Device> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const activity = createActivity(options.log ?? silentLogger, now);
  const { log } = activity;
  const auth = {
    source: options.authMethodSource ?? 'environment',
    reason: authReason(config.DEVICE_AUTH_METHOD, options.authMethodSource ?? 'environment'),
  };

  const baseUrl = ensureTrailingSlash(config.MEDPLUM_BASE_URL);
  const recorder = createResponseRecorder(
    new URL('fhir/R4', baseUrl).toString(),
    options.fetch ?? globalThis.fetch.bind(globalThis)
  );

  // The outbox first: its lock tells a second process on the same data folder to stop before anything else happens.
  const outbox = openOutbox(config.DEVICE_DATA_DIR, { now });
  log('auth', auth.reason);
  const client = await connectOrReleaseOutbox(outbox, () =>
    createDeviceClient({
      baseUrl,
      tokenUrl: new URL('oauth2/token', baseUrl).toString(),
      method: config.DEVICE_AUTH_METHOD,
      clientId: config.DEVICE_MEDPLUM_CLIENT_ID,
      clientSecret: config.DEVICE_AUTH_METHOD === 'private-key-jwt' ? undefined : config.DEVICE_MEDPLUM_CLIENT_SECRET,
      dataDir: config.DEVICE_DATA_DIR,
      // The outbox is the one place that retries (with back-off and jitter); the SDK's own retries would hide outages.
      maxRetries: 0,
      fetch: recorder.fetch,
      log: (line) => log('auth', line),
    })
  );

  const waiting = outbox.counts();
  if (waiting.pending > 0 || waiting.failed > 0) {
    log(
      'outbox',
      `opened ${outbox.file}: ${plural(waiting.pending, 'result')} still to send${waiting.failed ? `, ${waiting.failed} refused earlier (see \`device status\`)` : ''}`
    );
  }

  const uploader = createUploader({
    outbox,
    send: options.send ?? createTransport({ client, recorder }),
    onEvent: (event) => activity.uploadEvent(event, outbox.counts().pending),
    now,
    ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });

  const catalog = createCatalogHolder(client, log, options.catalog);
  const intake = createIntake({
    outbox,
    activity,
    catalog: catalog.current,
    refreshCatalog: catalog.refresh,
    onQueued: () => uploader.kick(),
    readOrder: options.readOrder ?? ((id: string) => client.readResource('ServiceRequest', id)),
    // The device's policy only lets it see orders addressed to it, so "every active order" means "mine".
    activeOrders: () =>
      client.searchResources('ServiceRequest', {
        status: 'active',
        _sort: '-_lastUpdated',
        _count: String(options.catchUpLimit ?? 100),
      }),
    ...(options.confirmOrders !== undefined ? { confirmOrders: options.confirmOrders } : {}),
    ...(options.deviceId ? { deviceId: options.deviceId } : {}),
  });

  const lifecycle = createLifecycle({ client, intake, uploader, outbox, log, now, options, catalog });
  return {
    config,
    client,
    outbox,
    uploader,
    ledger: intake.ledger,
    webhookMaxAgeMs: options.webhookMaxAgeMs ?? 10 * 60_000,
    receiveOrder: intake.receiveOrder,
    receiveDelivery: intake.receiveDelivery,
    catchUp: intake.catchUp,
    webhookRefused(reason, httpStatus) {
      activity.stats.webhooksRefused++;
      log('webhook', `refused a delivery with ${httpStatus}: ${reason}; nothing was run or queued`);
    },
    log,
    status: () => statusSnapshot({ config, auth, client, baseUrl, activity, outbox, uploader, now }),
    start: lifecycle.start,
    stop: lifecycle.stop,
  };
}

/**
 * The published lab catalogue (catalog.ts), read on start and again before each catch-up; a failed read keeps the last
 * one (orders it cannot run get a report that says so).
 */
function createCatalogHolder(client: DeviceClient, log: LogLine, fixed: LabCatalog | undefined) {
  let current: LabCatalog = fixed ?? EMPTY_CATALOG;
  return {
    current: () => current,
    async refresh(): Promise<void> {
      if (fixed) return;
      try {
        current = await loadCatalog(client);
        log('catalog', `${plural(current.size, 'orderable test')} in the published lab catalogue`);
      } catch (error) {
        log('catalog', `could not read the lab catalogue (${(error as Error).message}); keeping the last one`);
      }
    },
  };
}

/** The outbox is open (and locked) before the client: if the client cannot be made, release the lock again. */
async function connectOrReleaseOutbox(outbox: Outbox, connect: () => Promise<DeviceClient>): Promise<DeviceClient> {
  try {
    return await connect();
  } catch (error) {
    outbox.close();
    throw error;
  }
}

type Intake = ReturnType<typeof createIntake>;

interface LifecycleParts {
  client: DeviceClient;
  intake: Intake;
  uploader: Uploader;
  outbox: Outbox;
  log: LogLine;
  now: () => number;
  options: Pick<DeviceOptions, 'catchUp' | 'catchUpEveryMs'>;
  catalog: { refresh: () => Promise<void> };
}

/** Start: confirm access (logged, never thrown), catch up on missed orders, then send what waits. Stop: the reverse. */
function createLifecycle({ client, intake, uploader, outbox, log, now, options, catalog }: LifecycleParts) {
  let stopped = false;
  let catchUpTimer: ReturnType<typeof setInterval> | undefined;

  async function confirmAccess(): Promise<void> {
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
  }

  return {
    async start(): Promise<void> {
      await confirmAccess();
      // The catch-up reads the catalogue first; without it, read it once here.
      if (options.catchUp === false) await catalog.refresh();
      if (options.catchUp !== false) {
        const run = () =>
          catalog
            .refresh()
            .then(() => intake.catchUp())
            .catch((error: unknown) => log('order', `catch-up skipped: ${(error as Error).message}`));
        await run();
        const every = options.catchUpEveryMs ?? 5 * 60_000;
        if (every > 0 && !stopped) {
          catchUpTimer = setInterval(run, every);
          catchUpTimer.unref();
        }
      }
      uploader.kick();
    },
    async stop(graceMs?: number): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(catchUpTimer);
      await uploader.stop(graceMs);
      outbox.close();
    },
  };
}
