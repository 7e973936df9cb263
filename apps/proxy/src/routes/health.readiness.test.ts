import { describe, expect, it } from 'vitest';
import { unitApp } from '../../test/unit-app.ts';

describe('health', () => {
  it('/healthz is always 200; /readyz is 200 once a token can be obtained', async () => {
    const { app, medplum } = unitApp();
    expect((await app.request('/healthz')).status).toBe(200);
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(medplum.tokenRequests()).toHaveLength(1);
    await app.request('/readyz');
    expect(medplum.tokenRequests()).toHaveLength(1);
  });

  it('/readyz is 503 when no token can be obtained (wrong secret)', async () => {
    const { app } = unitApp({ env: { PROXY_MEDPLUM_CLIENT_SECRET: 'not-the-right-secret-at-all' } });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable' });
  });
});
