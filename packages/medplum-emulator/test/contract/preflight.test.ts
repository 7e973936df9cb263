import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractTargetProblem } from './preflight.ts';
import type { ContractTarget } from './target.ts';
import { startTarget } from './target.ts';

// The pre-flight check that guards a run against a real Medplum, exercised against a started emulator (a real
// Medplum-shaped server over HTTP): each bad setting gives one message that names the cause and the fix.
let target: ContractTarget;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(() => target.stop());

const noFiles: readonly string[] = [];

function settings(overrides: Record<string, string | undefined> = {}) {
  return {
    MEDPLUM_CONTRACT_BASE_URL: target.baseUrl,
    MEDPLUM_CONTRACT_CLIENT_ID: target.client.id,
    MEDPLUM_CONTRACT_CLIENT_SECRET: target.client.secret,
    ...overrides,
  };
}

describe('contract suite pre-flight', () => {
  it('passes with no settings (the suite runs against the emulator) and with good ones', async () => {
    expect(await contractTargetProblem({}, fetch, noFiles)).toBeUndefined();
    expect(await contractTargetProblem(settings(), fetch, noFiles)).toBeUndefined();
  });

  it('names both missing credentials when only the URL is set', async () => {
    const problem = await contractTargetProblem(
      settings({ MEDPLUM_CONTRACT_CLIENT_ID: undefined, MEDPLUM_CONTRACT_CLIENT_SECRET: undefined }),
      fetch,
      noFiles
    );
    expect(problem).toContain('MEDPLUM_CONTRACT_CLIENT_ID');
    expect(problem).toContain('MEDPLUM_CONTRACT_CLIENT_SECRET');
    expect(problem).toContain('required when MEDPLUM_CONTRACT_BASE_URL is set');
  });

  it('rejects a URL that is not http(s)', async () => {
    const problem = await contractTargetProblem(
      settings({ MEDPLUM_CONTRACT_BASE_URL: 'ftp://example.org/' }),
      fetch,
      noFiles
    );
    expect(problem).toContain('MEDPLUM_CONTRACT_BASE_URL');
    expect(problem).toContain('expected an http:// or https:// URL');
  });

  it('says the server cannot be reached, with the cause', async () => {
    const closed = new URL(target.baseUrl);
    closed.port = String(await closedPort());
    const problem = await contractTargetProblem(settings({ MEDPLUM_CONTRACT_BASE_URL: closed.href }), fetch, noFiles);
    expect(problem).toBe(
      `Cannot reach Medplum at ${closed.href} (ECONNREFUSED). Check MEDPLUM_CONTRACT_BASE_URL: the server's base URL, e.g. https://api.medplum.com/, reachable from this machine.`
    );
  });

  it('says when the URL is not a Medplum API', async () => {
    const problem = await contractTargetProblem(
      settings({ MEDPLUM_CONTRACT_BASE_URL: `${target.baseUrl}fhir/R4/` }),
      fetch,
      noFiles
    );
    expect(problem).toMatch(
      /does not look like a Medplum server: GET \.well-known\/openid-configuration answered 4\d\d/
    );
  });

  it('says the credentials were refused, without echoing the secret', async () => {
    const wrong = 'a-wrong-secret-0123456789';
    const problem = await contractTargetProblem(settings({ MEDPLUM_CONTRACT_CLIENT_SECRET: wrong }), fetch, noFiles);
    expect(problem).toBe(
      `Medplum at ${target.baseUrl} refused the contract client's credentials (400 Invalid secret). Check MEDPLUM_CONTRACT_CLIENT_ID and MEDPLUM_CONTRACT_CLIENT_SECRET: a confidential ClientApplication of a test project, with a project membership.`
    );
    expect(problem).not.toContain(wrong);
  });
});

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
