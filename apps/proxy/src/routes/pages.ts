import { isFhirId } from '@org/auth/server';
import { isLoopbackUrl } from '@org/config';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { matchAllowlist } from '../api/allowlist.ts';
import { type ForwardResult, forwardToMedplum } from '../api/forward.ts';
import type { AppEnv, ProxyContext } from '../context.ts';
import { requireSession } from '../middleware/session.ts';
import { HISTORY_TYPES } from '../pages/attribution.ts';
import { historyPage, loginPage, patientPage, patientsPage } from '../pages/pages.ts';
import type { LegacyUser } from '../users/store.ts';

/**
 * The legacy app's pages: the sign-in page, then (session and budgets required, else 303 to /login) the patient list
 * and a patient's page, read through the same allowlist and on-behalf-of calls as the API.
 */
export function pageRoutes(ctx: ProxyContext): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  const devHint = isLoopbackUrl(ctx.config.MEDPLUM_BASE_URL)
    ? `Local development: sign in as "${ctx.config.LEGACY_DEV_USERNAME}" (clinician) or "reception" (patient list only), both with LEGACY_DEV_PASSWORD (see .env.example).`
    : undefined;
  const read = (user: LegacyUser, path: string, query: Record<string, string> = {}): Promise<ForwardResult> =>
    readAllowlisted(ctx, user, path, query);

  pages.get('/', (c) => c.redirect(c.get('user') ? '/patients' : '/login', 303));
  pages.get('/login', (c) => (c.get('user') ? c.redirect('/patients', 303) : c.html(loginPage(devHint))));

  const signedIn = requireSession((c) => c.redirect('/login', 303));
  pages.use('/patients', signedIn);
  pages.use('/patients/*', signedIn);
  pages.use('/history/*', signedIn);

  pages.get('/patients', async (c) => {
    const user = c.get('user') as LegacyUser;
    const name = c.req.query('name')?.trim() || undefined;
    const result = await read(user, 'Patient', { _count: '50', _sort: 'family', ...(name ? { name } : {}) });
    c.set('upstream', result.upstream);
    return c.html(patientsPage(user, result, name));
  });

  pages.get('/patients/:id', async (c) => {
    const user = c.get('user') as LegacyUser;
    const id = c.req.param('id');
    const subject = { subject: `Patient/${id}`, _sort: '-_lastUpdated', _count: '50' };
    const [patient, reports, observations, notes] = await Promise.all([
      read(user, `Patient/${id}`),
      read(user, 'DiagnosticReport', subject),
      read(user, 'Observation', subject),
      read(user, 'Communication', subject),
    ]);
    c.set('upstream', patient.upstream);
    const status = patient.status === 200 ? 200 : patient.status;
    return c.html(patientPage(user, id, { patient, reports, observations, notes }), status as ContentfulStatusCode);
  });
  pages.get('/history/:type/:id', async (c) => {
    const user = c.get('user') as LegacyUser;
    const { type, id } = c.req.param();
    const result = await readHistory(ctx, user, type, id);
    c.set('upstream', result.upstream);
    return c.html(historyPage(user, `${type}/${id}`, result), result.status as ContentfulStatusCode);
  });
  return pages;
}

/**
 * A resource's `_history`, for the pages' "history" links only (the JSON API does not forward it): one of the types
 * the patient page shows and one FHIR id, else 404 without any call; on behalf of the user, so their policy applies.
 */
function readHistory(ctx: ProxyContext, user: LegacyUser, type: string, id: string): Promise<ForwardResult> {
  if (!(HISTORY_TYPES as readonly string[]).includes(type) || !isFhirId(id)) {
    return Promise.resolve({ status: 404, body: { error: 'not_found' }, upstream: 'none' });
  }
  return forwardToMedplum(ctx.medplum, user, { method: 'GET', path: `fhir/R4/${type}/${id}/_history?_count=50` });
}

/** Pages read through the same allowlist as the API. */
function readAllowlisted(
  ctx: ProxyContext,
  user: LegacyUser,
  path: string,
  query: Record<string, string>
): Promise<ForwardResult> {
  const matched = matchAllowlist('GET', path, new URLSearchParams(query));
  if (matched.kind === 'not-allowed') {
    return Promise.resolve({ status: 404, body: { error: 'not_found' }, upstream: 'none' });
  }
  if (matched.kind === 'bad-query') {
    return Promise.resolve({ status: 400, body: { error: matched.message }, upstream: 'none' });
  }
  return forwardToMedplum(ctx.medplum, user, { method: 'GET', path: matched.match.upstreamPath });
}
