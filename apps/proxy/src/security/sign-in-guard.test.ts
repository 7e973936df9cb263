import { describe, expect, it } from 'vitest';
import { apiHeaders, PASSWORD, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

type App = ReturnType<typeof unitApp>['app'];

function signInAttempt(app: App, username: string, password: string, address = '192.0.2.1') {
  return app.request('/api/session', {
    method: 'POST',
    headers: apiHeaders(undefined, { 'Content-Type': 'application/json', 'X-Test-Address': address }),
    body: JSON.stringify({ username, password }),
  });
}

async function statuses(responses: (Response | Promise<Response>)[]): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const response of await Promise.all(responses)) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

describe('sign-in brute force', () => {
  it('40 concurrent guesses for one user: the limit is taken before hashing, so only 5 passwords are checked', async () => {
    const { app } = unitApp({ settings: { signInFailuresPerWindow: 5, maxConcurrentSignIns: 100 } });
    const guesses = Array.from({ length: 40 }, (_, i) => signInAttempt(app, 'clinician', `guess-${i}`));
    expect(await statuses(guesses)).toEqual({ 401: 5, 429: 35 });
  });

  it('the lock-out is per user and address: the attacker is locked out, the user at their own machine is not', async () => {
    const { app } = unitApp({ settings: { signInFailuresPerWindow: 3 } });
    for (let i = 0; i < 3; i++)
      expect((await signInAttempt(app, 'clinician', 'wrong', '203.0.113.9')).status).toBe(401);
    const locked = await signInAttempt(app, 'clinician', PASSWORD, '203.0.113.9');
    expect(locked.status).toBe(429);
    expect(await locked.json()).toEqual({ error: 'too_many_attempts' });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signInAttempt(app, 'clinician', PASSWORD, '192.0.2.44')).status).toBe(200);
  });

  it('a correct password clears the failures counted for that user and address', async () => {
    const { app } = unitApp({ settings: { signInFailuresPerWindow: 3 } });
    for (let i = 0; i < 2; i++) await signInAttempt(app, 'clinician', 'wrong');
    expect((await signInAttempt(app, 'clinician', PASSWORD)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await signInAttempt(app, 'clinician', 'wrong')).status).toBe(401);
  });

  it('password spraying: every attempt from one address counts, whatever the user name', async () => {
    const { app } = unitApp({ settings: { signInAttemptsPerAddress: 4 } });
    const sprayed = [];
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      sprayed.push((await signInAttempt(app, name, 'x', '203.0.113.7')).status);
    expect(sprayed).toEqual([401, 401, 401, 401, 429]);
    expect((await signInAttempt(app, 'clinician', PASSWORD, '203.0.113.8')).status).toBe(200);
  });

  it('at most N password checks run at once; the rest get 503 busy at once instead of queueing CPU work', async () => {
    // A real scrypt cost, so the first checks are still running when the others arrive.
    const { app } = unitApp({ settings: { maxConcurrentSignIns: 2, passwordCost: 2 ** 14 } });
    const attempts = Array.from({ length: 10 }, (_, i) => signInAttempt(app, `user-${i}`, 'x', `198.51.100.${i}`));
    const responses = await Promise.all(attempts);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(2);
    const busy = responses.filter((r) => r.status === 503);
    expect(busy).toHaveLength(8);
    expect(await busy[0]?.json()).toEqual({ error: 'busy' });
    expect(busy[0]?.headers.get('retry-after')).toBe('1');
  });
});

describe('request budgets beyond one session', () => {
  it('signing in again gives no fresh budget: the per-user limit spans all of a user’s sessions', async () => {
    const { app } = unitApp({ settings: { rateLimitPerSession: 100, rateLimitPerUser: 4 } });
    const first = await signIn(app, 'clinician');
    const second = await signIn(app, 'clinician');
    const read = (cookie: string) => app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie) });
    const seen = [];
    for (const cookie of [first, second, first, second, first, second]) seen.push((await read(cookie)).status);
    expect(seen).toEqual([200, 200, 200, 200, 429, 429]);
    const other = await signIn(app, 'reception');
    expect((await read(other)).status).toBe(200);
  });

  it('one client address has a budget over all sessions on it', async () => {
    const { app } = unitApp({ settings: { rateLimitPerAddress: 3 } });
    const clinician = await signIn(app, 'clinician');
    const reception = await signIn(app, 'reception');
    const read = (cookie: string, address: string) =>
      app.request('/api/fhir/Patient/pat-1', { headers: apiHeaders(cookie, { 'X-Test-Address': address }) });
    const seen = [];
    for (const cookie of [clinician, reception, clinician, reception])
      seen.push((await read(cookie, '203.0.113.5')).status);
    expect(seen).toEqual([200, 200, 200, 429]);
    expect((await read(reception, '203.0.113.6')).status).toBe(200);
  });

  it('live sessions per user are capped: a new sign-in ends the oldest', async () => {
    const { app } = unitApp({ settings: { maxSessionsPerUser: 2 } });
    const [oldest, middle, newest] = [await signIn(app), await signIn(app), await signIn(app)];
    const me = (cookie: string) => app.request('/api/me', { headers: apiHeaders(cookie) });
    expect((await me(oldest)).status).toBe(401);
    expect((await me(middle)).status).toBe(200);
    expect((await me(newest)).status).toBe(200);
  });
});
