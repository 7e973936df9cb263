import { ConfigError, contractSuiteSchema, type EnvInput, loadConfig } from '@org/config';

/**
 * Checks, once and before any test, that the contract suite's target can be used: the settings parse, the server
 * answers as a Medplum would, and the client's credentials get a token. Returns undefined when the suite can run, or
 * the one message that names the cause and the fix (so a bad setting is one line, not a failure in every test file).
 */
export async function contractTargetProblem(
  env: EnvInput,
  fetchImpl: typeof fetch = fetch,
  envFiles?: readonly string[]
): Promise<string | undefined> {
  let settings: ReturnType<typeof loadConfig<typeof contractSuiteSchema>>;
  try {
    settings = loadConfig(contractSuiteSchema, { env, ...(envFiles ? { envFiles } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) return `The contract suite's settings are not usable.\n${error.message}`;
    throw error;
  }
  const baseUrl = settings.MEDPLUM_CONTRACT_BASE_URL;
  if (!baseUrl) return undefined;

  const discovery = `${baseUrl}.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetchImpl(discovery, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return `Cannot reach Medplum at ${baseUrl} (${causeOf(error)}). Check MEDPLUM_CONTRACT_BASE_URL: the server's base URL, e.g. https://api.medplum.com/, reachable from this machine.`;
  }
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) {
    return `${baseUrl} does not look like a Medplum server: GET .well-known/openid-configuration answered ${response.status}. Check MEDPLUM_CONTRACT_BASE_URL (the API base URL, not the app's).`;
  }

  const token = await fetchImpl(`${baseUrl}oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: settings.MEDPLUM_CONTRACT_CLIENT_ID ?? '',
      client_secret: settings.MEDPLUM_CONTRACT_CLIENT_SECRET ?? '',
    }),
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => error as Error);
  if (token instanceof Error) return `Medplum at ${baseUrl} did not answer the token request (${causeOf(token)}).`;
  if (token.status !== 200) {
    const body = (await token.json().catch(() => ({}))) as { error_description?: string };
    const reason = [token.status, body.error_description].filter(Boolean).join(' ');
    return `Medplum at ${baseUrl} refused the contract client's credentials (${reason}). Check MEDPLUM_CONTRACT_CLIENT_ID and MEDPLUM_CONTRACT_CLIENT_SECRET: a confidential ClientApplication of a test project, with a project membership.`;
  }
  return undefined;
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
