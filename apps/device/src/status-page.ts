import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { StatusSnapshot } from './device.ts';

function row(label: string, value: unknown) {
  return html`<tr><th>${label}</th><td>${String(value)}</td></tr>`;
}

/**
 * The status page on the webhook port (the landing page links here). Refreshes itself every 5 s; no scripts. Every
 * value goes through hono/html's `html` tag, which escapes it.
 */
export function renderStatusPage(status: StatusSnapshot): HtmlEscapedString | Promise<HtmlEscapedString> {
  const { device, stats, outbox, uploader } = status;
  const pending = status.pending.map(
    (p) =>
      html`<li><code>${p.order}</code> ${p.summary}${p.attempts ? html` <em>(${p.attempts} attempt(s); ${p.lastError ?? ''})</em>` : ''}</li>`
  );
  const failed = status.failed.map((f) => html`<li><code>${f.order}</code> ${f.reason}</li>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Lab analyzer (device) - status</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2433; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { text-align: left; padding: .25rem .75rem .25rem 0; vertical-align: top; }
th { font-weight: 600; color: #4a5568; }
code, pre { font: 13px ui-monospace, monospace; }
pre { background: #f4f5f7; padding: .75rem; overflow-x: auto; }
.warn { color: #9b2c2c; font-weight: 600; }
</style>
</head>
<body>
<h1>Lab analyzer</h1>
<p>Pattern 3 (device): receives lab orders from Medplum by webhook, runs them, posts results from a durable outbox.</p>
${device.authMethod === 'basic' ? html`<p class="warn">Warning: Basic authentication is the fallback; the client secret travels with every request.</p>` : ''}
<h2>Identity</h2>
<table>
${row('Auth method', `${device.authMethod} (${device.authSource === 'default' ? 'default' : 'DEVICE_AUTH_METHOD'})`)}
${row('Why', device.authReason)}
${row('Credential', device.authDescription)}
${row('Client', `ClientApplication/${device.clientId}`)}
${row('Token expires', device.tokenExpiresAt ?? (device.authMethod === 'basic' ? 'no token (Basic)' : 'no token yet'))}
${row('Medplum', device.medplum)}
${row('JWKS', device.jwks ? '/.well-known/jwks.json' : 'not published (not using private-key-jwt)')}
</table>
<h2>Work</h2>
<table>
${row('Orders received', stats.ordersReceived)}
${row('Redeliveries recognised', stats.redeliveries)}
${row('Orders ignored', stats.ordersIgnored)}
${row('Webhooks refused (401/400)', stats.webhooksRefused)}
${row('Results sent', `${stats.resultsSent} in ${stats.transactions} transaction(s)`)}
${row('Results waiting in outbox', outbox.pending)}
${row('Retries', stats.retries)}
${row('Failed (refused by Medplum)', outbox.failed)}
${row('Next retry', uploader.retryAt ?? '-')}
${row('Last error', stats.lastError ? `${stats.lastError.at} ${stats.lastError.message}` : '-')}
</table>
${pending.length > 0 ? html`<h2>Waiting</h2><ul>${pending}</ul>` : ''}
${failed.length > 0 ? html`<h2>Failed</h2><ul>${failed}</ul>` : ''}
<h2>Recent</h2>
<pre>${status.recent.join('\n') || '(nothing yet)'}</pre>
<p><a href="/status.json">status.json</a></p>
</body>
</html>`;
}
