import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * The emulator's own minimal sign-in page; Medplum sends the browser to its web app for this step instead. Every value
 * goes through hono/html's `html` tag, which escapes it.
 */
export function signInPage(
  params: Record<string, string>,
  clientName: string,
  error?: string
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const hidden = Object.entries(params)
    .filter(([name]) => name !== 'email' && name !== 'password')
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sign in – Medplum emulator</title>
    <style>
      body { font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }
      label { display: block; margin-top: 1rem; }
      input[type=email], input[type=password] { width: 100%; padding: .5rem; box-sizing: border-box; }
      button { margin-top: 1.5rem; padding: .5rem 1rem; }
      .error { color: #b00020; }
    </style>
  </head>
  <body>
    <h1>Sign in</h1>
    <p>to ${clientName} (local Medplum emulator)</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <form method="post" action="sign-in">
      ${hidden}
      <label>Email <input type="email" name="email" autocomplete="username" required value="${params.email ?? ''}"></label>
      <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
  </body>
</html>`;
}
