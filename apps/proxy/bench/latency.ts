/**
 * `pnpm bench` (apps/proxy): latency the proxy adds over a direct call to Medplum, measured against a started
 * emulator. Both sides make the same read (`Patient/<id>`, as the dev clinician):
 *   direct — the bench holds the ClientApplication's token and calls the emulator itself, with X-Medplum-On-Behalf-Of;
 *   proxy  — a signed-in browser's call: cookie + X-CSRF to the proxy, which checks the session, CSRF, rate limit and
 *            allowlist, then makes that same call through @org/auth/server.
 *   bare hop — the floor any proxy pays: a forwarder that does nothing but the same upstream call with fetch and
 *            hand back its bytes (no session, no checks, no SDK). What the proxy adds beyond it is its own cost.
 * Also counts token requests per 1,000 proxied calls. Prints a small table; no assertions.
 *
 * With `--link-latency-ms N` Medplum is N ms away each way (a TCP relay, `slowLink`), for the direct caller, the proxy
 * and the bare hop alike: what the proxy adds next to a hosted Medplum, where its users would meet it.
 *
 *   node bench/latency.ts [--requests 500] [--link-latency-ms 0] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { SEED_IDS } from '@org/auth/provisioning';
import { countingFetch, slowLink } from '@org/auth/testing';
import { createApp } from '../src/app.ts';
import { silentLogger } from '../src/log.ts';
import { MARIA, startEmulatorWithLabResults } from '../test/emulator/harness.ts';
import { PASSWORD, testConfig } from '../test/helpers.ts';
import { measureAlternating, type Stats, stats } from './measure.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '500' },
    'link-latency-ms': { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const requests = Number(values.requests);
const linkLatencyMs = Number(values['link-latency-ms']);
const warmup = Math.min(50, Math.ceil(requests / 10));
const measure = (calls: (() => Promise<Response>)[]) => measureAlternating(calls, requests, warmup);

const emulator = await startEmulatorWithLabResults();
const link = linkLatencyMs > 0 ? await slowLink(emulator.url, linkLatencyMs) : undefined;
const medplumUrl = link?.url ?? emulator.url;
const config = testConfig({ MEDPLUM_BASE_URL: medplumUrl, LEGACY_DEV_PASSWORD: PASSWORD });
const counter = countingFetch();
const app = createApp(config, {
  fetch: counter.fetch,
  logger: silentLogger,
  settings: {
    rateLimitPerSession: 1_000_000,
    rateLimitPerUser: 1_000_000,
    rateLimitPerAddress: 1_000_000,
    passwordCost: 1024,
  },
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const origin = new URL(config.PROXY_PUBLIC_URL).origin;

try {
  // Direct: client credentials once, then plain reads on behalf of the dev practitioner.
  const tokenResponse = await fetch(new URL('oauth2/token', medplumUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: config.PROXY_MEDPLUM_CLIENT_ID,
      client_secret: config.PROXY_MEDPLUM_CLIENT_SECRET,
    }),
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const directUrl = new URL(`fhir/R4/Patient/${MARIA}`, medplumUrl);
  const directRead = () =>
    fetch(directUrl, {
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: 'application/fhir+json',
        'X-Medplum': 'extended',
        'X-Medplum-On-Behalf-Of': `ProjectMembership/${SEED_IDS.practitionerMembership}`,
      },
    });

  // Proxy: sign in as the dev clinician, then the same read through the API.
  const signIn = await fetch(`${proxyUrl}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF': '1', Origin: origin },
    body: JSON.stringify({ username: config.LEGACY_DEV_USERNAME, password: PASSWORD }),
  });
  const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
  const tokensBefore = counter.tokenRequests();
  const proxyRead = `${proxyUrl}/api/fhir/Patient/${MARIA}`;
  // The bare hop: the same upstream read, forwarded without any of the proxy's work.
  const hop = serve({
    fetch: async () => {
      const upstream = await directRead();
      return new Response(upstream.body, {
        status: upstream.status,
        headers: { 'Content-Type': upstream.headers.get('Content-Type') ?? 'application/json' },
      });
    },
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => hop.once('listening', () => resolve()));
  const hopRead = `http://127.0.0.1:${(hop.address() as AddressInfo).port}/`;
  const [direct, proxied, bareHop] = (await measure([
    directRead,
    () => fetch(proxyRead, { headers: { Cookie: cookie, 'X-CSRF': '1' } }),
    () => fetch(hopRead),
  ])) as [Stats, Stats, Stats];
  await new Promise<void>((resolve) => hop.close(() => resolve()));

  // Where a proxied call's time goes, as its Server-Timing header says (medians over 200 more calls).
  const timings: Record<string, number[]> = {};
  for (let i = 0; i < 200; i++) {
    const response = await fetch(proxyRead, { headers: { Cookie: cookie, 'X-CSRF': '1' } });
    await response.arrayBuffer();
    for (const metric of (response.headers.get('Server-Timing') ?? '').split(',')) {
      const [name = '', duration = ''] = metric.trim().split(';');
      timings[name] = [...(timings[name] ?? []), Number(duration.replace('dur=', ''))];
    }
  }
  const serverTiming = Object.fromEntries(
    Object.entries(timings).map(([name, values]) => [name, stats(values).p50])
  ) as Record<'session' | 'upstream' | 'total', number>;
  const proxiedCalls = warmup + requests;
  const tokensPer1000 = ((counter.tokenRequests() - tokensBefore) / proxiedCalls) * 1000;

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const rows = (['p50', 'p95', 'mean'] as const).map((stat) => [
    'read Patient/<id>',
    stat,
    ms(direct[stat]),
    ms(proxied[stat]),
    ratio(proxied[stat], direct[stat]),
    ms(bareHop[stat]),
    ratio(bareHop[stat], direct[stat]),
  ]);
  const header = ['measure', 'stat', 'direct', 'via proxy', 'ratio', 'bare hop', 'ratio'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(
    `\nProxy vs direct read latency (${requests} sequential requests each, alternating, ${warmup} warm-up, emulator on this machine${link ? `, ${linkLatencyMs} ms away each way` : ''})\n`
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log(
    `\nInside the proxy (Server-Timing p50): session ${ms(serverTiming.session)}, upstream (the call to Medplum) ${ms(serverTiming.upstream)}, total in the app ${ms(serverTiming.total)}; the rest is HTTP on both sides of the hop.`
  );
  console.log(`\nToken requests per 1,000 proxied calls: ${tokensPer1000.toFixed(2)} (${proxiedCalls} calls)`);

  if (values.json) {
    writeFileSync(
      values.json,
      `${JSON.stringify({ requests, warmup, linkLatencyMs, direct, proxied, bareHop, serverTiming, tokenRequestsPer1000ProxiedCalls: tokensPer1000 }, null, 2)}\n`
    );
  }
} finally {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await link?.close();
  await emulator.stop();
}
