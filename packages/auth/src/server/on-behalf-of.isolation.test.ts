import { describe, expect, it } from 'vitest';
import { fakeMedplum } from '../testing/fake-medplum.ts';
import { basicAuth, clientCredentials } from './credentials.ts';
import { onBehalfOfValue } from './on-behalf-of.ts';
import { createServiceClient } from './service-client.ts';

describe('on-behalf-of never bleeds between concurrent requests', () => {
  it('each request carries exactly its own user (or none for the service itself)', async () => {
    const server = fakeMedplum();
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: clientCredentials({ clientId: server.clientId, clientSecret: 's' }),
      fetch: server.fetch,
    });
    const users = ['ProjectMembership/m-a', 'Practitioner/p-b', 'Patient/p-c', undefined] as const;
    const calls = Array.from({ length: 300 }, (_, i) => {
      const user = users[i % users.length];
      const scoped = user ? client.onBehalfOf(user) : client;
      const marker = `call-${i}`;
      return i % 2 === 0
        ? scoped.readResource('Patient', marker)
        : scoped.createResource({ resourceType: 'Communication', status: 'completed', id: marker });
    });
    await Promise.all(calls);
    const fhir = server.fhirRequests();
    expect(fhir).toHaveLength(300);
    for (const request of fhir) {
      const marker =
        request.method === 'GET' ? (request.url.pathname.split('/').pop() ?? '') : JSON.parse(request.body ?? '{}').id;
      const index = Number(String(marker).slice('call-'.length));
      expect(request.headers.get('x-medplum-on-behalf-of') ?? undefined).toBe(users[index % users.length]);
    }
  });

  it('the service client has no default on-behalf-of header after scoped calls', async () => {
    const server = fakeMedplum();
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: clientCredentials({ clientId: server.clientId, clientSecret: 's' }),
      fetch: server.fetch,
    });
    await client.onBehalfOf('ProjectMembership/m-a').readResource('Patient', 'x');
    await client.readResource('Patient', 'y');
    expect(server.fhirRequests().at(-1)?.headers.get('x-medplum-on-behalf-of')).toBeNull();
  });

  it('works in Basic mode too, without any token request', async () => {
    const server = fakeMedplum();
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: basicAuth({ clientId: server.clientId, clientSecret: 's' }),
      fetch: server.fetch,
    });
    await Promise.all([
      client.onBehalfOf('ProjectMembership/m-a').readResource('Patient', 'a'),
      client.onBehalfOf('ProjectMembership/m-b').readResource('Patient', 'b'),
    ]);
    expect(server.tokenRequests()).toHaveLength(0);
    const byPath = Object.fromEntries(
      server.fhirRequests().map((r) => [r.url.pathname, r.headers.get('x-medplum-on-behalf-of')])
    );
    expect(byPath).toEqual({
      '/fhir/R4/Patient/a': 'ProjectMembership/m-a',
      '/fhir/R4/Patient/b': 'ProjectMembership/m-b',
    });
    expect(server.fhirRequests().every((r) => r.headers.get('authorization')?.startsWith('Basic '))).toBe(true);
  });
});

describe('lower-level calls stay on Medplum', () => {
  it('refuses absolute URLs elsewhere (the on-behalf-of header would travel with them)', async () => {
    const server = fakeMedplum();
    const client = createServiceClient({
      baseUrl: server.baseUrl,
      credentials: clientCredentials({ clientId: server.clientId, clientSecret: 's' }),
      fetch: server.fetch,
    });
    const scoped = client.onBehalfOf('ProjectMembership/m-a');
    await expect(scoped.get('https://evil.example/fhir/R4/Patient')).rejects.toThrow(TypeError);
    await expect(scoped.post('//evil.example/x', {})).rejects.toThrow(TypeError);
    expect(server.requests.some((r) => r.url.host === 'evil.example')).toBe(false);
    await expect(scoped.get(`${server.baseUrl}fhir/R4/Patient/p1`)).resolves.toMatchObject({ id: 'p1' });
    await expect(scoped.get('/fhir/R4/Patient/p2')).resolves.toMatchObject({ id: 'p2' });
  });
});

describe('on-behalf-of target validation', () => {
  it.each(['ProjectMembership/abc-123', 'Practitioner/1', 'Patient/x.y', 'RelatedPerson/r'])('accepts %s', (value) => {
    expect(onBehalfOfValue(value)).toBe(value);
    expect(onBehalfOfValue({ reference: value })).toBe(value);
  });

  it.each([
    ['an empty string', ''],
    ['a bare id', 'abc'],
    ['a ClientApplication', 'ClientApplication/abc'],
    ['an Organization', 'Organization/abc'],
    ['header injection', 'ProjectMembership/abc\r\nX-Other: 1'],
    ['a nested path', 'ProjectMembership/abc/_history/1'],
    ['an absolute URL', 'https://evil.example/ProjectMembership/abc'],
  ])('refuses %s', (_label, value) => {
    expect(() => onBehalfOfValue(value)).toThrow(TypeError);
  });

  it('refuses a reference object without a reference', () => {
    expect(() => onBehalfOfValue({ display: 'x' })).toThrow(TypeError);
  });
});
