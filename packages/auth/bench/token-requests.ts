/**
 * Token requests made by the server pattern's service client, counted at the HTTP layer against a started emulator,
 * next to the naive baseline of one MedplumClient per call (what Medplum's issue #1936 warns trips the auth rate
 * limit). Prints a table; with `--json FILE` also writes the figures. Asserts nothing.
 *
 *   node bench/token-requests.ts [--calls 200] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ClientStorage, MedplumClient, MemoryStorage } from '@medplum/core';
import { clientCredentials } from '../src/server/credentials.ts';
import { createServiceClient } from '../src/server/service-client.ts';
import { startSeededEmulator } from '../src/testing/emulator.ts';
import { countingFetch } from '../src/testing/http-server.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '200' }, json: { type: 'string' } },
});
const calls = Number(values.calls);
const LIFETIME_S = 3;

const env = await startSeededEmulator({ proxy: { accessTokenLifetime: `${LIFETIME_S}s` } });
try {
  const credentials = {
    clientId: env.clients.proxy.clientId,
    clientSecret: env.clients.proxy.clientSecret,
  };

  // The service client: one token, then `calls` concurrent calls the moment that token has expired.
  const counter = countingFetch();
  const client = createServiceClient({
    baseUrl: env.emulator.url,
    credentials: clientCredentials(credentials),
    fetch: counter.fetch,
    refreshSkewMs: 0,
  });
  await client.ready();
  console.error('ready');
  const expiresAt = client.tokenExpiresAt() ?? Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
  const before = counter.count('/oauth2/token');
  await Promise.all(Array.from({ length: calls }, () => client.searchResources('Patient', { _count: '1' })));
  console.error('service done');
  const serviceClientRequests = counter.count('/oauth2/token') - before;

  // The naive baseline: a new MedplumClient (and so a new login) per call, with ordinary one-hour tokens.
  const naive = countingFetch();
  const baseline = await startSeededEmulator();
  await Promise.all(
    Array.from({ length: calls }, async () => {
      const medplum = new MedplumClient({
        baseUrl: baseline.emulator.url,
        fetch: naive.fetch,
        storage: new ClientStorage(new MemoryStorage()),
      });
      await medplum.startClientLogin(credentials.clientId, credentials.clientSecret);
      await medplum.searchResources('Patient', { _count: '1' });
    })
  );
  const naiveRequests = naive.count('/oauth2/token');
  await baseline.emulator.stop();

  console.log(`\nToken requests for ${calls} concurrent calls the moment the token expired (${LIFETIME_S} s tokens)\n`);
  console.log(`  service client (@org/auth/server): ${serviceClientRequests}`);
  console.log(`  one MedplumClient per call:        ${naiveRequests}`);
  if (values.json) {
    writeFileSync(values.json, `${JSON.stringify({ calls, serviceClientRequests, naiveRequests }, null, 2)}\n`);
  }
} finally {
  await env.emulator.stop();
}
