/**
 * Why a case cannot provision what it needs on a real Medplum through a project admin's APIs, and so runs against the
 * emulator only. Against a real Medplum each such case is skipped with its reason in its name, and the seed-bound
 * reporter (./seed-bound-reporter.ts) lists them, grouped by reason, at the end of the run.
 */
export const SEED_BOUND = {
  secondProject: 'needs a second project with the same user or client, which a project admin cannot create',
  ownProject: 'needs a project of its own (it counts every resource in the project)',
  superAdmin: 'needs a DomainConfiguration or project setting, which only a super admin writes',
  users:
    'needs Users as the server stores them (project-scoped, without an email, edited by an admin): an invite makes its own',
  login: 'needs a Login or signing key in a given state (revoked, granted, expired, …), which only the server writes',
  externalIdp: "needs the external identity provider stand-in, reached through the emulator's injected fetch",
  webhooks: "needs webhook deliveries observed through the emulator's injected fetch and its idle()",
  emulatorOnly: "checks a refusal only the emulator makes (input checks stricter than Medplum's)",
  emulatorOption: 'needs an emulator option or restart (rate limits, CORS origins, retry delay, data file, clock)',
} as const;

export type SeedBoundReason = (typeof SEED_BOUND)[keyof typeof SEED_BOUND];

/** The name of a skipped case: the suffix is what the reporter groups by. */
export function seedBoundName(name: string, reason: SeedBoundReason): string {
  return `${name} (seed-bound: ${reason})`;
}
