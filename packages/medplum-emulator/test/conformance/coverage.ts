/**
 * What the conformance suite covers of each Medplum server test file that was read: how many cases the file has,
 * and every case (or group of cases) that is not ported, with the reason. The ported and passing counts are not kept
 * here: `pnpm --filter @org/medplum-emulator conformance:table` reads them from the suite's last run and prints the
 * README's table. `coverage.test.ts` keeps this list and the suite's `mirrorOf(file, commit)` calls in step.
 */
export interface MedplumTestCoverage {
  /** Path in medplum/medplum. */
  file: string;
  /** The commit of the file that was read; undefined only where the public index kept no commit (said in `note`). */
  commit: string | undefined;
  /** Test cases in the Medplum file (parameterised tests count each parameter). */
  cases: number;
  notPorted: { count: number; why: string }[];
  note?: string;
}

const NOT_MODELLED = 'not modelled by the emulator';

export const COVERAGE: MedplumTestCoverage[] = [
  {
    file: 'packages/server/src/oauth/token.test.ts',
    commit: '00825e374916c387fd6d98378c0fbfe866fb7ac6',
    cases: 90,
    notPorted: [
      { count: 3, why: `IP access rules (${NOT_MODELLED})` },
      { count: 4, why: 'Google identity (GCIP) token exchange' },
      { count: 1, why: 'FHIRcast hub topic' },
      { count: 1, why: 'super admin' },
      {
        count: 1,
        why: '"Token exchange invalid external URL": its text is contradicted by the newer token.int.test.ts',
      },
    ],
    note: 'older jest twin of token.int.test.ts; shared cases run under both names',
  },
  {
    file: 'packages/server/src/oauth/token.int.test.ts',
    commit: '96d5e7758c33fe8d5c7f518aee8da6dec49baffb',
    cases: 110,
    notPorted: [
      { count: 4, why: `IP access rules (${NOT_MODELLED})` },
      { count: 7, why: `server-wide externalAuthProviders config (${NOT_MODELLED})` },
      { count: 5, why: 'Google identity (GCIP) token exchange' },
      { count: 1, why: 'FHIRcast hub topic' },
      { count: 1, why: 'super admin' },
    ],
  },
  {
    file: 'packages/server/src/oauth/refresh-token-grant.test.ts',
    commit: '17e36701a6b58c170032b4ab7be5b7df124c5299',
    cases: 14,
    notPorted: [
      { count: 1, why: `project-scoped /projects/:id/oauth2/token (${NOT_MODELLED})` },
      { count: 2, why: 'database write conflict and rotation spy (internals, no HTTP outcome)' },
      { count: 1, why: `IP access rules on refresh (${NOT_MODELLED})` },
    ],
  },
  {
    file: 'packages/server/src/oauth/keys.test.ts',
    commit: '154258ed8dcd2d3965bbcecd919772c2ac50d9fa',
    cases: 15,
    notPorted: [{ count: 4, why: 'server configuration and internal functions (missing issuer, uninitialised keys)' }],
  },
  {
    file: 'packages/server/src/oauth/utils.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 38,
    notPorted: [
      { count: 9, why: 'tryLogin / validateLoginRequest internals with no HTTP outcome' },
      { count: 1, why: 'Google sign-in' },
      { count: 3, why: `MFA (${NOT_MODELLED})` },
      { count: 1, why: 'CLI client' },
      { count: 7, why: 'normalizeUserInfoUrl (server-configuration dependent)' },
      { count: 2, why: 'getMembershipsForLogin / getAuthTokens internals' },
    ],
  },
  {
    file: 'packages/server/src/oauth/utils.test.ts',
    commit: '00ea1ff8a090bdc748756e75d9a6b7f5ee597961',
    cases: 24,
    notPorted: [{ count: 15, why: 'the same internal groups as utils.int.test.ts' }],
    note: 'older twin of utils.int.test.ts',
  },
  {
    file: 'packages/server/src/oauth/authorize.test.ts',
    commit: '29ecbf45b5a8712121b02ec0329c90c9598d12a2',
    cases: 18,
    notPorted: [],
  },
  {
    file: 'packages/server/src/oauth/middleware.int.test.ts',
    commit: '9c65374775036ed0a30119b81d58cd3e126b8bf0',
    cases: 19,
    notPorted: [{ count: 1, why: 'super admin client' }],
  },
  {
    file: 'packages/server/src/oauth/middleware.test.ts',
    commit: undefined,
    cases: 24,
    notPorted: [
      { count: 19, why: 'the same cases as middleware.int.test.ts, ported there' },
      { count: 1, why: `IP access rules (${NOT_MODELLED})` },
      { count: 1, why: 'AuditEvent logger spy (internals)' },
    ],
    note: 'a newer revision seen in the public index without a commit id: 3 cases ported under their names ("ID token rejected as access token", "Refresh token rejected as access token", "Basic auth with inactive client status"), outside mirrorOf',
  },
  {
    file: 'packages/server/src/oauth/userinfo.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 7,
    notPorted: [],
  },
  {
    file: 'packages/server/src/oauth/logout.test.ts',
    commit: '161a94f1ff18862912fe3223a774425004791969',
    cases: 2,
    notPorted: [],
  },
  {
    file: 'packages/server/src/oauth/introspect.test.ts',
    commit: '0207f46a8f63e111e02c864001cb704d13250d64',
    cases: 6,
    notPorted: [],
  },
  {
    file: 'packages/server/src/oauth/introspect.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 3,
    notPorted: [
      { count: 3, why: 'older than introspect.test.ts @0207f46, which contradicts two of them (ported there)' },
    ],
  },
  {
    file: 'packages/server/src/oauth/routes.int.test.ts',
    commit: '79cb239e6edd41f31badd5a8cf085342ae7c81a9',
    cases: 1,
    notPorted: [{ count: 1, why: `$validate (${NOT_MODELLED})` }],
  },
  {
    file: 'packages/server/src/wellknown.test.ts',
    commit: '0aacfe68f3a71ca95252b31384eb2e36d0094417',
    cases: 2,
    notPorted: [],
    note: 'the JWKS case is ported without its RS256 lines: this stored version predates the ES384 keys of current servers',
  },
  {
    file: 'packages/server/src/auth/login.int.test.ts',
    commit: '79cb239e6edd41f31badd5a8cf085342ae7c81a9',
    cases: 19,
    notPorted: [{ count: 1, why: '"Specify resourceType" is skipped in Medplum itself' }],
  },
  {
    file: 'packages/server/src/auth/me.test.ts',
    commit: '069a568359d9212f8a0702a7f264e73c4858b471',
    cases: 6,
    notPorted: [],
  },
  {
    file: 'packages/server/src/auth/profile.test.ts',
    commit: '73b1a75da459b7c0317c4c6a5529c0c069742c4a',
    cases: 9,
    notPorted: [],
  },
  {
    file: 'packages/server/src/auth/scope.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 13,
    notPorted: [{ count: 2, why: `MFA-pending login (${NOT_MODELLED})` }],
  },
  {
    file: 'packages/server/src/auth/method.int.test.ts',
    commit: '5213bdb5419cccbf9c0e94dec5bd18cde7d71ce3',
    cases: 6,
    notPorted: [],
  },
  {
    file: 'packages/server/src/auth/external.test.ts',
    commit: '030ef4a9c89dce748e950e673dc6fa430aa67924',
    cases: 31,
    notPorted: [{ count: 1, why: `server-wide externalAuthProviders config (${NOT_MODELLED})` }],
  },
  {
    file: 'packages/server/src/oauth/external.test.ts',
    commit: '05b1fcb4a1713eb0168f0d570d1d4cf86f63dffd',
    cases: 10,
    notPorted: [{ count: 10, why: `/oauth2/userinfo with external tokens (${NOT_MODELLED})` }],
  },
  {
    file: 'packages/server/src/auth/newuser.test.ts',
    commit: '05b1fcb4a1713eb0168f0d570d1d4cf86f63dffd',
    cases: 16,
    notPorted: [
      { count: 6, why: 'reCAPTCHA' },
      {
        count: 6,
        why: 'registration itself, breached-password check, already-registered email, project isolation (the emulator answers as a Medplum with registration disabled)',
      },
    ],
  },
  {
    file: 'packages/server/src/auth/preauthorize.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 8,
    notPorted: [],
  },
  {
    file: 'packages/server/src/fhir/onbehalfof.int.test.ts',
    commit: '6e2e8ae381f02c3d3a63588ca845aa61d384575c',
    cases: 5,
    notPorted: [],
  },
  {
    file: 'packages/server/src/fhir/accesspolicy.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 64,
    notPorted: [
      { count: 4, why: '`test.skip` in Medplum itself' },
      { count: 2, why: `Binary through Medplum's storage (${NOT_MODELLED})` },
      { count: 5, why: 'invalid policy criteria rejected by AccessPolicy validation rules the emulator does not run' },
      { count: 1, why: `WebSocket (cache-only) subscriptions (${NOT_MODELLED})` },
      { count: 5, why: 'super admin, several projects, linked and shared projects' },
      { count: 2, why: `SMART scopes narrowing the policy (${NOT_MODELLED})` },
    ],
  },
  {
    file: 'packages/server/src/fhir/repo.test.ts',
    commit: 'db3936c86fea765d3a51de341194c87887b8a7b5',
    cases: 45,
    notPorted: [
      {
        count: 9,
        why: 'internal functions (getRepoForLogin, checkCacheOnly, readReference, setTypedValue, the :text token table) and ids no HTTP request can carry',
      },
      { count: 9, why: 'super admin or system repository only (system author, lastUpdated, reindex, expunge, purge)' },
      { count: 1, why: 'several projects' },
      { count: 2, why: 'profile validation with the us-core fixture' },
    ],
  },
  {
    file: 'packages/server/src/fhir/routes.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 59,
    notPorted: [
      { count: 4, why: 'metadata, $versions, SMART configuration (outside the FHIR write/read area)' },
      { count: 1, why: 'legacy FHIR JSON response format project setting' },
      { count: 4, why: "search variants that differ only in Medplum's database reader pool" },
      { count: 6, why: `$validate, $reindex, $resend (${NOT_MODELLED})` },
    ],
  },
  {
    file: 'packages/server/src/cors.int.test.ts',
    commit: '92f124a68613c287a4afb4bb5c58183c1a21fe60',
    cases: 9,
    notPorted: [],
  },
  {
    file: 'packages/server/src/app.int.test.ts',
    commit: '0539b9266e1e26ec18d5dbe6b15deffbf4746cf1',
    cases: 20,
    notPorted: [
      { count: 1, why: '"Server rate limit disabled": the rateLimitsEnabled server setting' },
      { count: 15, why: 'body parsers, request logging and error handling of Express itself' },
    ],
  },
  {
    file: 'packages/server/src/admin/ratelimit.test.ts',
    commit: '733a57f975489ea883aa38737ece45af065bab1a',
    cases: 7,
    notPorted: [{ count: 7, why: `Redis-backed per-membership FHIR quotas (${NOT_MODELLED})` }],
  },
  {
    file: 'packages/server/src/workers/subscription.int.test.ts',
    commit: '6995f5ace43d9801e45847a40823996dfa5e6e51',
    cases: 77,
    notPorted: [
      { count: 5, why: `bots (${NOT_MODELLED})` },
      { count: 19, why: `WebSocket subscriptions and Redis pub/sub (${NOT_MODELLED})` },
      { count: 2, why: 'server-scoped subscriptions (super admin, system project)' },
      { count: 2, why: '`test.skip` in Medplum itself' },
      { count: 2, why: 'subscriptionsEnabled=false and allowUnsafeOutbound server settings' },
      { count: 2, why: "the only assertion left is Medplum's WARN log line" },
      { count: 1, why: `Binary presigned URL rewriting (${NOT_MODELLED})` },
      { count: 6, why: 'auto-disable helpers, Redis error path and worker metrics (internals)' },
    ],
  },
];
