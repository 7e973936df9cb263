import { type Area, inTime, type LogLine, plural } from './log.ts';
import type { OutboxItem } from './outbox.ts';
import type { UploadEvent } from './uploader.ts';

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

const RECENT_LINES = 40;

/**
 * What the device has been doing, for people: one log line per event (also kept as the status page's recent lines)
 * and the counters of the status page. Lines name orders and tests, never patients or results.
 */
export function createActivity(baseLog: LogLine, now: () => number) {
  const iso = () => new Date(now()).toISOString();
  const recent: string[] = [];
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

  /** Counts and logs one uploader event; `waiting` is how many results the outbox still holds. */
  function uploadEvent(event: UploadEvent, waiting: number): void {
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
          `sent ${event.items.length === 1 ? `results for ${orders(event.items)}` : plural(event.items.length, 'result')} in one transaction: ${plural(resources, 'resource')} (${event.created} created, ${event.existing} already there) in ${inTime(event.ms)}; ${plural(waiting, 'result')} waiting`
        );
        break;
      }
      case 'retry':
        stats.retries++;
        stats.lastError = { at: iso(), message: event.error };
        log(
          'upload',
          `${event.error} - ${plural(waiting, 'result')} kept in the outbox; retry ${event.attempt} in ${inTime(event.delayMs)}`
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
  }

  return { log, stats, iso, uploadEvent, recentLines: () => [...recent] };
}

export type Activity = ReturnType<typeof createActivity>;
