/**
 * The pages' only script and stylesheet, served from the proxy's own origin so the Content-Security-Policy can forbid
 * inline code. The script sends every state-changing request (sign in, sign out, add a note) to the JSON API with the
 * `X-CSRF: 1` header the API requires.
 */
export const APP_JS = `'use strict';
(function () {
  function api(method, path, body) {
    var headers = { 'X-CSRF': '1' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  function show(form, message) {
    var alert = form.querySelector('[role=alert]');
    if (alert) alert.textContent = message;
  }
  async function explain(response) {
    try {
      var body = await response.json();
      if (body && body.issue && body.issue[0]) return response.status + ': ' + ((body.issue[0].details || {}).text || body.issue[0].code);
      if (body && body.error) return response.status + ': ' + body.error;
    } catch (e) {}
    return 'HTTP ' + response.status;
  }

  var signIn = document.querySelector('form[data-action="sign-in"]');
  if (signIn) {
    signIn.addEventListener('submit', async function (event) {
      event.preventDefault();
      var data = new FormData(signIn);
      var response = await api('POST', '/api/session', { username: data.get('username'), password: data.get('password') });
      if (response.ok) window.location.assign('/patients');
      else show(signIn, response.status === 401 ? 'Wrong user name or password.' : await explain(response));
    });
  }

  var signOut = document.querySelector('form[data-action="sign-out"]');
  if (signOut) {
    signOut.addEventListener('submit', async function (event) {
      event.preventDefault();
      await api('DELETE', '/api/session');
      window.location.assign('/login');
    });
  }

  var note = document.querySelector('form[data-action="add-note"]');
  if (note) {
    note.addEventListener('submit', async function (event) {
      event.preventDefault();
      var data = new FormData(note);
      var response = await api('POST', '/api/fhir/Communication', {
        resourceType: 'Communication',
        subject: { reference: 'Patient/' + note.dataset.patient },
        payload: [{ contentString: data.get('text') }],
      });
      if (response.ok) window.location.reload();
      else show(note, 'Not saved. ' + (await explain(response)));
    });
  }
})();
`;

export const APP_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2733; background: #f5f6f8; }
body { margin: 0; }
header { display: flex; align-items: center; justify-content: space-between; padding: 0.75rem 1.5rem; background: #23395d; color: #fff; }
header a { color: #fff; text-decoration: none; font-weight: 600; }
header form { display: inline; margin-left: 1rem; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
section { background: #fff; border: 1px solid #d8dde5; border-radius: 6px; padding: 1rem 1.25rem; margin-bottom: 1.25rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid #e6e9ee; vertical-align: top; }
.attribution { font-size: 0.8rem; color: #4a5a70; }
.attribution code { background: #eef1f5; padding: 0 0.2rem; border-radius: 3px; }
.denied { color: #8a2d1c; }
.muted { color: #5d6b7e; }
label { display: block; margin: 0.5rem 0 0.2rem; }
input, textarea { font: inherit; padding: 0.4rem; width: 100%; box-sizing: border-box; }
button { font: inherit; padding: 0.4rem 1rem; margin-top: 0.75rem; cursor: pointer; }
[role=alert] { color: #8a2d1c; min-height: 1.2em; }
`;
