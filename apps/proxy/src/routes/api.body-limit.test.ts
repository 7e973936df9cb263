import { describe, expect, it } from 'vitest';
import { apiHeaders, noteBody, signIn } from '../../test/helpers.ts';
import { unitApp } from '../../test/unit-app.ts';

describe('request body size limit', () => {
  it('answers 413 for a body over the limit, without calling Medplum', async () => {
    const { app, medplum } = unitApp({ settings: { maxBodyBytes: 1024 } });
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    const response = await app.request('/api/fhir/Communication', {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body: noteBody('pat-1', 'x'.repeat(5000)),
    });
    expect(response.status).toBe(413);
    expect(medplum.requests.length).toBe(before);
  });

  it.each([
    ['sign-in', '/api/session'],
    ['a note', '/api/fhir/Communication'],
  ])('stops reading a chunked %s body (no Content-Length) once it passes the limit', async (_what, path) => {
    const { app, medplum } = unitApp({ settings: { maxBodyBytes: 1024 } });
    const cookie = await signIn(app);
    const before = medplum.requests.length;
    let produced = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (produced >= 10 * 1024 * 1024) return controller.close();
          produced += 256;
          controller.enqueue(new Uint8Array(256).fill(0x20));
        },
      },
      { highWaterMark: 0 }
    );
    const response = await app.request(path, {
      method: 'POST',
      headers: apiHeaders(cookie, { 'Content-Type': 'application/json' }),
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'payload_too_large' });
    expect(produced).toBe(1024 + 256);
    expect(medplum.requests.length).toBe(before);
  });
});
