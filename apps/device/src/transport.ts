import { getStatus, isOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { Bundle } from '@medplum/fhirtypes';
import type { FhirCalls } from '@org/auth/device';
import type { SendOutcome, SendTransaction } from './uploader.ts';

/**
 * Turning "hand this transaction to Medplum" into a SendOutcome the outbox can act on. The one thing that must never
 * happen is a result being set aside as refused because of an outage, so the HTTP status is taken from the wire:
 * MedplumClient turns a non-FHIR error body (a 502 from a load balancer, a plain 500) into an OperationOutcome that
 * reads as 400.
 */

export interface ResponseRecorder {
  /** Give this to the Medplum client: it notes the status of every transaction (POST to the FHIR base) response. */
  fetch: typeof fetch;
  /** Status of the last transaction response since `reset()`, undefined when none arrived (network error). */
  last(): number | undefined;
  reset(): void;
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.toString();
  return input.url;
}

/**
 * Only transaction POSTs are recorded: the uploader sends one at a time, so "the last one" is always its own, even
 * while webhook read-backs and searches run concurrently.
 */
export function createResponseRecorder(fhirBaseUrl: string, base: typeof fetch = globalThis.fetch): ResponseRecorder {
  const fhirBase = fhirBaseUrl.replace(/\/+$/, '');
  let status: number | undefined;
  return {
    async fetch(input, init) {
      const response = await base(input, init);
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      if (method === 'POST' && urlOf(input).replace(/\/+$/, '') === fhirBase) status = response.status;
      return response;
    },
    last: () => status,
    reset() {
      status = undefined;
    },
  };
}

/** 401 after the client's own one re-login, 408, 425, 429 and 5xx are worth another try; other 4xx are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 401 || status === 408 || status === 425 || status === 429 || status >= 500;
}

function describeError(error: unknown): string {
  if (error instanceof OperationOutcomeError) {
    const issue = error.outcome.issue?.[0];
    return issue?.details?.text ?? issue?.diagnostics ?? error.message;
  }
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}

function entryStatus(text: string | undefined): number | undefined {
  const code = Number.parseInt(text ?? '', 10);
  return Number.isFinite(code) ? code : undefined;
}

export interface TransportOptions {
  client: Pick<FhirCalls, 'executeBatch'> & { ready(): Promise<void> };
  recorder: Pick<ResponseRecorder, 'last' | 'reset'>;
}

/** One attempt; the caller (the uploader) is the only one that retries, so the SDK's own retries are switched off. */
export function createTransport({ client, recorder }: TransportOptions): SendTransaction {
  return async (bundle: Bundle): Promise<SendOutcome> => {
    try {
      await client.ready();
    } catch (error) {
      // No access (token endpoint unreachable, or refusing): the results are fine, keep them and try later.
      return { ok: false, retryable: true, error: `could not obtain access: ${describeError(error)}` };
    }
    recorder.reset();
    let response: Bundle;
    try {
      response = await client.executeBatch(bundle);
    } catch (error) {
      const wire = recorder.last();
      if (wire === undefined) {
        return { ok: false, retryable: true, error: `Medplum unreachable: ${describeError(error)}` };
      }
      const status =
        wire >= 400
          ? wire
          : isOperationOutcome((error as OperationOutcomeError).outcome)
            ? getStatus((error as OperationOutcomeError).outcome)
            : wire;
      return { ok: false, retryable: isRetryableStatus(status), status, error: `${status} ${describeError(error)}` };
    }
    let created = 0;
    let existing = 0;
    for (const entry of response.entry ?? []) {
      const status = entryStatus(entry.response?.status);
      if (status === 201) created++;
      else if (status !== undefined && status >= 200 && status < 300) existing++;
      else if (status !== undefined) {
        // A transaction is all or nothing, so this should not happen; if it does, judge it like a whole response.
        return {
          ok: false,
          retryable: isRetryableStatus(status),
          status,
          error: `entry answered ${entry.response?.status}`,
        };
      }
    }
    return { ok: true, created, existing };
  };
}
