import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { LegacyUser } from '../users/store.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export function layout(title: string, user: LegacyUser | undefined, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Legacy clinic</title>
    <link rel="stylesheet" href="/assets/app.css" />
    <script src="/assets/app.js" defer></script>
  </head>
  <body>
    <header>
      <a href="/patients">Legacy clinic</a>
      ${
        user
          ? html`<span
              >Signed in as <strong>${user.displayName}</strong> (${user.username})
              <form data-action="sign-out" method="post" action="/api/session"><button type="submit">Sign out</button></form></span
            >`
          : ''
      }
    </header>
    <main>${body}</main>
  </body>
</html>`;
}
