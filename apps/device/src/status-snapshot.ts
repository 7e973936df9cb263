import type { DeviceClient } from '@org/auth/device';
import type { Activity, DeviceStats } from './activity.ts';
import type { DeviceAuthMethod, DeviceConfig, SettingSource } from './config.ts';
import type { Outbox, OutboxCounts } from './outbox.ts';
import type { Uploader } from './uploader.ts';

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

/** What the status page and `device status` show: identity, counters, the outbox, and recent log lines. */
export function statusSnapshot(parts: {
  config: DeviceConfig;
  auth: { source: SettingSource; reason: string };
  client: DeviceClient;
  baseUrl: string;
  activity: Activity;
  outbox: Outbox;
  uploader: Uploader;
  now: () => number;
}): StatusSnapshot {
  const { config, client, outbox } = parts;
  const state = parts.uploader.state();
  const expires = client.tokenExpiresAt();
  return {
    device: {
      authMethod: config.DEVICE_AUTH_METHOD,
      authSource: parts.auth.source,
      authReason: parts.auth.reason,
      authDescription: client.description,
      clientId: config.DEVICE_MEDPLUM_CLIENT_ID,
      ...(expires ? { tokenExpiresAt: new Date(expires).toISOString() } : {}),
      medplum: parts.baseUrl,
      dataDir: config.DEVICE_DATA_DIR,
      webhookPath: '/webhooks/medplum',
      jwks: client.keys !== undefined,
    },
    stats: { ...parts.activity.stats },
    outbox: outbox.counts(),
    uploader: {
      running: state.running,
      failures: state.failures,
      ...(state.pausedUntil > parts.now() ? { retryAt: new Date(state.pausedUntil).toISOString() } : {}),
    },
    pending: outbox.pending().map((item) => ({
      order: item.order,
      summary: item.summary,
      attempts: item.attempts,
      ...(item.lastError ? { lastError: item.lastError } : {}),
      queuedAt: item.queuedAt,
    })),
    failed: outbox.failed().map((item) => ({
      order: item.order,
      summary: item.summary,
      reason: item.reason,
      failedAt: item.failedAt,
    })),
    recent: parts.activity.recentLines(),
  };
}
