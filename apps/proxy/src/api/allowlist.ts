/**
 * The API is an allowlist: the legacy app's pages need exactly these Medplum calls, and nothing else is forwarded.
 * Each entry is one method + one path below `/api/fhir/` (the same path below Medplum's `fhir/R4/`), with the query
 * parameters it may carry (each checked by a rule; anything else is a 400) and, for writes, a builder that makes the
 * upstream body from the browser's input (the browser never chooses server-owned fields such as `meta`, `sender` or
 * `sent`). A path or method not in this table is answered 404 without any call to Medplum.
 *
 * | method | path                          | used by                   | query                                   |
 * |--------|-------------------------------|---------------------------|-----------------------------------------|
 * | GET    | /api/fhir/Patient             | patient list              | name, _count, _offset, _sort            |
 * | GET    | /api/fhir/Patient/:id         | patient page              | —                                       |
 * | GET    | /api/fhir/DiagnosticReport    | patient page, lab results | subject (required), _count, _sort       |
 * | GET    | /api/fhir/Observation         | patient page, lab results | subject (required), _count, _sort       |
 * | GET    | /api/fhir/Communication       | patient page, notes       | subject (required), _count, _sort       |
 * | POST   | /api/fhir/Communication       | "add a note"              | — (body: the note, see `noteFromInput`) |
 *
 * Local endpoints (never forwarded): `POST /api/session` (sign in), `DELETE /api/session` (sign out), `GET /api/me`.
 */
import type { Communication } from '@medplum/fhirtypes';
import { isFhirId } from '@org/auth/server';
import type { LegacyUser } from '../users/store.ts';

export type QueryRule = (value: string) => boolean;

export interface WriteContext {
  user: LegacyUser;
  now: Date;
}

export interface AllowedRoute {
  method: 'GET' | 'POST';
  /** Below `/api/fhir/` and Medplum's `fhir/R4/`; `:id` stands for one FHIR id. */
  path: string;
  purpose: string;
  query?: Readonly<Record<string, QueryRule>>;
  requiredQuery?: readonly string[];
  /** Writes: the upstream body, built from the browser's JSON; throws `InputError` on anything unexpected. */
  body?: (input: unknown, context: WriteContext) => unknown;
}

export class InputError extends Error {
  override name = 'InputError';
}

const patientReference: QueryRule = (value) => value.startsWith('Patient/') && isFhirId(value.slice('Patient/'.length));
const count: QueryRule = (value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 100;
const offset: QueryRule = (value) => /^\d{1,5}$/.test(value);
const oneOf =
  (...allowed: string[]): QueryRule =>
  (value) =>
    allowed.includes(value);
// Free-text search: no control characters, no absurd lengths.
const searchText: QueryRule = (value) => value.length >= 1 && value.length <= 64 && !/[\p{Cc}]/u.test(value);

const perPatient = {
  query: { subject: patientReference, _count: count, _sort: oneOf('-_lastUpdated', '_lastUpdated') },
  requiredQuery: ['subject'],
} as const;

export const API_ALLOWLIST: readonly AllowedRoute[] = [
  {
    method: 'GET',
    path: 'Patient',
    purpose: 'patient list',
    query: { name: searchText, _count: count, _offset: offset, _sort: oneOf('family', 'name', '-_lastUpdated') },
  },
  { method: 'GET', path: 'Patient/:id', purpose: 'patient page' },
  { method: 'GET', path: 'DiagnosticReport', purpose: 'lab results (reports)', ...perPatient },
  { method: 'GET', path: 'Observation', purpose: 'lab results (observations)', ...perPatient },
  { method: 'GET', path: 'Communication', purpose: 'notes on a patient', ...perPatient },
  { method: 'POST', path: 'Communication', purpose: 'add a note', body: noteFromInput },
];

export interface RouteMatch {
  route: AllowedRoute;
  /** `fhir/R4/...` relative to the Medplum base URL, query included. */
  upstreamPath: string;
}

export type MatchResult =
  | { kind: 'match'; match: RouteMatch }
  | { kind: 'not-allowed' }
  | { kind: 'bad-query'; message: string };

/** Matches one request against the table. `path` is below `/api/fhir/`. */
export function matchAllowlist(method: string, path: string, query: URLSearchParams): MatchResult {
  const segments = path.split('/');
  const route = API_ALLOWLIST.find((candidate) => {
    if (candidate.method !== method) return false;
    const pattern = candidate.path.split('/');
    return (
      pattern.length === segments.length &&
      pattern.every((part, index) => (part === ':id' ? isFhirId(segments[index]) : part === segments[index]))
    );
  });
  if (!route) return { kind: 'not-allowed' };

  const rules = route.query ?? {};
  const upstreamQuery = new URLSearchParams();
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    const rule = rules[key];
    if (!rule) return { kind: 'bad-query', message: `query parameter not allowed here: ${key.slice(0, 40)}` };
    if (values.length !== 1) return { kind: 'bad-query', message: `query parameter given more than once: ${key}` };
    if (!rule(values[0] ?? '')) return { kind: 'bad-query', message: `invalid value for query parameter ${key}` };
    upstreamQuery.set(key, values[0] ?? '');
  }
  for (const key of route.requiredQuery ?? []) {
    if (!upstreamQuery.has(key)) return { kind: 'bad-query', message: `query parameter required: ${key}` };
  }
  const search = upstreamQuery.toString();
  return {
    kind: 'match',
    match: { route, upstreamPath: `fhir/R4/${segments.join('/')}${search ? `?${search}` : ''}` },
  };
}

const NOTE_KEYS = new Set(['resourceType', 'status', 'subject', 'payload']);
export const MAX_NOTE_LENGTH = 4000;

/**
 * A note is a `Communication` about a patient. The browser may say which patient and what text; the proxy sets the
 * rest: `status`, `sent`, `sender` (the user's Medplum profile) and the category. `meta` is never taken from the
 * browser (Medplum would ignore a client-sent `meta.author` anyway; `meta.author`/`meta.onBehalfOf` are Medplum's).
 */
export function noteFromInput(input: unknown, { user, now }: WriteContext): Communication {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InputError('expected a JSON object');
  const body = input as Record<string, unknown>;
  const extra = Object.keys(body).filter((key) => !NOTE_KEYS.has(key));
  if (extra.length > 0) throw new InputError(`fields not allowed: ${extra.slice(0, 5).join(', ').slice(0, 100)}`);
  if (body.resourceType !== 'Communication') throw new InputError('resourceType must be Communication');
  if (body.status !== undefined && body.status !== 'completed') throw new InputError('status must be completed');
  const subject = body.subject as { reference?: unknown } | undefined;
  if (
    typeof subject?.reference !== 'string' ||
    !patientReference(subject.reference) ||
    Object.keys(subject).length !== 1
  ) {
    throw new InputError('subject must be {"reference": "Patient/<id>"}');
  }
  const payload = body.payload as { contentString?: unknown }[] | undefined;
  const text = Array.isArray(payload) && payload.length === 1 ? payload[0]?.contentString : undefined;
  if (typeof text !== 'string' || Object.keys(payload?.[0] ?? {}).length !== 1) {
    throw new InputError('payload must be [{"contentString": "<text>"}]');
  }
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NOTE_LENGTH) {
    throw new InputError(`the note must have 1 to ${MAX_NOTE_LENGTH} characters`);
  }
  return {
    resourceType: 'Communication',
    status: 'completed',
    category: [{ text: 'Clinical note (legacy clinic app)' }],
    subject: { reference: subject.reference },
    sender: { reference: user.medplum.profile, display: user.medplum.profileDisplay },
    sent: now.toISOString(),
    payload: [{ contentString: trimmed }],
  };
}
