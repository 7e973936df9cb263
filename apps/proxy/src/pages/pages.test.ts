import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('pages', () => {
  it('sign-in page: a form for the app script, no inline script, dev hint on a local Medplum', async () => {
    const { app } = unitApp();
    const response = await app.request('/login');
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('data-action="sign-in"');
    expect(page).toContain('<script src="/assets/app.js" defer></script>');
    expect(page).not.toMatch(/<script>/);
    expect(page).toContain('LEGACY_DEV_PASSWORD');
    const script = await app.request('/assets/app.js');
    expect(await script.text()).toContain("'X-CSRF': '1'");
  });

  it('patient list, then a patient with lab results and the attribution of a note', async () => {
    const { app, config } = unitApp();
    const cookie = await signIn(app);
    const list = await (await app.request('/patients', { headers: { Cookie: cookie } })).text();
    expect(list).toContain('<a href="/patients/pat-1">Maria Garcia</a>');

    await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'Repeat <b>CBC</b> next week'),
    });
    const response = await app.request('/patients/pat-1', { headers: { Cookie: cookie } });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Hemoglobin');
    expect(page).toContain('13.2 g/dL');
    expect(page).toContain('data-author="ClientApplication/device-client"');
    expect(page).toContain('Repeat &lt;b&gt;CBC&lt;/b&gt; next week');
    expect(page).toContain(
      `data-author="ClientApplication/${config.PROXY_MEDPLUM_CLIENT_ID}" data-on-behalf-of="Practitioner/p-clin"`
    );
  });

  it('attribution shows names, never bare references or ISO times, and links to the history', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    const page = await (await app.request('/patients/pat-1', { headers: { Cookie: cookie } })).text();
    expect(page).toContain('Recorded by <strong>Lab analyzer</strong>');
    // No display recorded: the identity's kind, not its reference.
    expect(page).toContain('Recorded by <strong>a Practitioner (name not recorded)</strong>');
    expect(page).toContain('<a href="/history/Observation/obs-1">history</a>');
    const text = page.replace(/<[^>]*>/g, '');
    expect(text).not.toMatch(/(ClientApplication|Practitioner)\/[\w-]+/);
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  it('a resource history is read on behalf of the user, only for the types the pages show', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const ok = await app.request('/history/Observation/obs-1', { headers: { Cookie: cookie } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('History of Observation');
    const call = medplum.fhirRequests().at(-1);
    expect(call?.url.pathname).toBe('/fhir/R4/Observation/obs-1/_history');
    expect(call?.headers.get('x-medplum-on-behalf-of')).toBe('ProjectMembership/m-clin');

    const before = medplum.fhirRequests().length;
    for (const path of ['/history/ClientApplication/c1', '/history/Observation/bad%20id!']) {
      expect((await app.request(path, { headers: { Cookie: cookie } })).status).toBe(404);
    }
    expect(medplum.fhirRequests().length).toBe(before);
    expect((await app.request('/history/Observation/obs-1')).headers.get('location')).toBe('/login');
  });

  it('times are <time> elements the page script shows in local time', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'Call back'),
    });
    const page = await (await app.request('/patients/pat-1', { headers: { Cookie: cookie } })).text();
    expect(page).toMatch(
      /<time datetime="\d{4}-\d{2}-\d{2}T[^"]+" data-local>\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC<\/time>/
    );
    const script = await (await app.request('/assets/app.js')).text();
    expect(script).toContain("querySelectorAll('time[data-local]')");
  });

  it('a user whose policy forbids lab results sees the refusal on the page', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app, 'reception');
    const page = await (await app.request('/patients/pat-1', { headers: { Cookie: cookie } })).text();
    expect(page).toContain('Maria Garcia');
    expect(page).toContain('data-status="403"');
    expect(page).not.toContain('Hemoglobin');
  });

  it('an invalid patient id never reaches Medplum', async () => {
    const { app, medplum } = unitApp();
    const cookie = await signIn(app);
    const before = medplum.fhirRequests().length;
    const response = await app.request('/patients/bad%20id!', { headers: { Cookie: cookie } });
    expect(response.status).toBe(404);
    expect(medplum.fhirRequests().length).toBe(before);
  });

  it('/ and /login send a signed-in user to the patient list', async () => {
    const { app } = unitApp();
    const cookie = await signIn(app);
    expect((await app.request('/', { headers: { Cookie: cookie } })).headers.get('location')).toBe('/patients');
    expect((await app.request('/login', { headers: { Cookie: cookie } })).headers.get('location')).toBe('/patients');
    expect((await app.request('/')).headers.get('location')).toBe('/login');
  });
});
