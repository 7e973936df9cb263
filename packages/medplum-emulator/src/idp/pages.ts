/*
 * The IdP's own pages: a plain sign-in form and an error page. No scripts, no external assets; every value that
 * reaches the HTML goes through hono/html's `html` tag, which escapes it.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const IDP_NAME = 'Acme SSO';

/** Headers for every HTML page: not cached, not framed, no scripts, no referrer leaking codes or state. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1f2933; margin: 0; }
  main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 3px rgba(0,0,0,.15); }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.sub { margin: 0 0 1.5rem; color: #52606d; font-size: .9rem; }
  label { display: block; font-size: .85rem; margin: 1rem 0 .25rem; }
  input { width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem; border: 1px solid #9aa5b1;
          border-radius: 4px; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; border: 0; border-radius: 4px;
           background: #1f4e8c; color: #fff; cursor: pointer; }
  button.link { background: none; color: #52606d; margin-top: .5rem; font-size: .85rem; }
  .error { background: #fde8e8; color: #9b1c1c; padding: .6rem; border-radius: 4px; font-size: .9rem; }
  pre { white-space: pre-wrap; word-break: break-word; }
`;

/** The page as a plain string: the IdP answers through node:http, not Hono. */
async function layout(title: string, body: Html): Promise<string> {
  return String(
    await html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`
  );
}

export interface SignInPageInput {
  /** The interaction uid; the form posts to /interaction/<uid>/login. */
  uid: string;
  /** The client's display name (or its id). */
  clientName: string;
  email?: string;
  error?: string;
}

export function renderSignInPage(input: SignInPageInput): Promise<string> {
  const base = `/interaction/${encodeURIComponent(input.uid)}`;
  return layout(
    `${IDP_NAME} · Sign in`,
    html`<h1>${IDP_NAME}</h1>
<p class="sub">Sign in to continue to <strong>${input.clientName}</strong></p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="${base}/login" autocomplete="on">
<label for="email">Email</label>
<input id="email" name="email" type="email" required autofocus value="${input.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Sign in</button>
</form>
<form method="post" action="${base}/abort">
<button type="submit" class="link">Cancel</button>
</form>`
  );
}

export function renderErrorPage(details: Record<string, unknown>): Promise<string> {
  const lines = Object.entries(details)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => html`<pre><strong>${key}</strong>: ${String(value)}</pre>\n`);
  return layout(
    `${IDP_NAME} · Error`,
    html`<h1>${IDP_NAME}</h1>\n<p class="sub">The sign-in request failed.</p>\n${lines}`
  );
}
