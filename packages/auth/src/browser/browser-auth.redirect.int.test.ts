import { describe, expect, it } from 'vitest';
import { SEED_IDS } from '../ids.ts';
import { seededBrowserSuite } from '../testing/browser.ts';

// Integration: signInWithRedirect against the emulator's /oauth2/authorize and its sign-in page, over real HTTP.
const suite = seededBrowserSuite();

/** GET the authorize URL, post the sign-in page's form (hidden fields kept), return the redirect Location. */
async function signInOnMedplumPage(authorizeUrl: string, password: string): Promise<Response> {
  const page = await fetch(authorizeUrl, { redirect: 'follow' });
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no sign-in form (${page.status})`);
  const form = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(name ?? '', (value ?? '').replaceAll('&amp;', '&').replaceAll('&quot;', '"'));
  }
  form.set('email', suite.env.options.devUser.email);
  form.set('password', password);
  return fetch(new URL(action, page.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

describe('signInWithRedirect against the emulator', () => {
  it('authorize, sign in on the Medplum page, back to the exact callback with ?code=&state=, signed in', async () => {
    const auth = suite.browser();
    const res = await signInOnMedplumPage(await auth.authorizeUrl(), suite.env.options.devUser.password);
    const location = new URL(res.headers.get('location') ?? '', 'http://invalid');
    expect(`${location.origin}${location.pathname}`).toBe('http://localhost:3000/auth/callback');
    const result = await auth.handleCallback(location.search);
    expect(result).toMatchObject({
      status: 'signed-in',
      profile: { resourceType: 'Practitioner', id: SEED_IDS.practitioner },
    });
  });

  it('a redirect_uri the web client does not register is refused by /oauth2/authorize', async () => {
    const auth = suite.browser();
    const url = new URL(await auth.authorizeUrl());
    url.searchParams.set('redirect_uri', 'http://localhost:3000/elsewhere');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });
});
