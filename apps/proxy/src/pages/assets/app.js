// The legacy pages' only script, served from the proxy's own origin so the Content-Security-Policy can forbid inline
// code. Every state-changing request (sign in, sign out, add a note) goes to the JSON API with the X-CSRF header it
// requires.
(() => {
  function api(method, path, body) {
    const headers = { 'X-CSRF': '1' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function show(form, message) {
    const alert = form.querySelector('[role=alert]');
    if (alert) alert.textContent = message;
  }

  /** The reason Medplum or the proxy gave, for the page: an OperationOutcome's text or the proxy's error code. */
  async function explain(response) {
    const body = await response.json().catch(() => undefined);
    const issue = body?.issue?.[0];
    if (issue) return `${response.status}: ${issue.details?.text ?? issue.code}`;
    if (body?.error) return `${response.status}: ${body.error}`;
    return `HTTP ${response.status}`;
  }

  // The server writes times in UTC (it cannot know the reader's time zone); show each in the reader's local time.
  for (const time of document.querySelectorAll('time[data-local]')) {
    const date = new Date(time.dateTime);
    if (!Number.isNaN(date.getTime())) {
      time.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    }
  }

  const signIn = document.querySelector('form[data-action="sign-in"]');
  signIn?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(signIn);
    const response = await api('POST', '/api/session', {
      username: data.get('username'),
      password: data.get('password'),
    });
    if (response.ok) window.location.assign('/patients');
    else show(signIn, response.status === 401 ? 'Wrong user name or password.' : await explain(response));
  });

  const signOut = document.querySelector('form[data-action="sign-out"]');
  signOut?.addEventListener('submit', async (event) => {
    event.preventDefault();
    await api('DELETE', '/api/session');
    window.location.assign('/login');
  });

  const note = document.querySelector('form[data-action="add-note"]');
  note?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(note);
    const response = await api('POST', '/api/fhir/Communication', {
      resourceType: 'Communication',
      subject: { reference: `Patient/${note.dataset.patient}` },
      payload: [{ contentString: data.get('text') }],
    });
    if (response.ok) window.location.reload();
    else show(note, `Not saved. ${await explain(response)}`);
  });
})();
