import type { WithId } from '@medplum/core';
import type {
  AccessPolicy,
  Login,
  Project,
  ProjectMembership,
  Reference,
  User,
  UserConfiguration,
  UserConfigurationMenu,
} from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { findMembership, membershipsOf, readProject } from '../access/directory.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { EmulatorServices } from '../services.ts';

/**
 * `GET /auth/me`, as packages/server/src/auth/me.ts: the caller's user (Users only), project, membership, profile,
 * UserConfiguration (with Medplum's default menu), access policy, and — for a User — security: MFA, the sessions of
 * the last hour, and the user's active memberships in this project (me.test.ts "Get user memberships").
 */
export async function me(c: Context<AppEnv>, services: EmulatorServices): Promise<Response> {
  const caller = c.get('caller');
  // The real caller's membership, also under X-Medplum-On-Behalf-Of (Medplum's authState.membership).
  const membership =
    findMembership(services.repo, caller.login.membership?.reference?.split('/')[1]) ?? caller.membership;
  const project = await readProject(services.repo, membership);
  const profile = await services.repo.readReference(membership.profile as { reference: string }).catch(() => undefined);
  const user = membership.user?.reference?.startsWith('User/')
    ? await services.repo.readReference<User>(membership.user as Reference<User>).catch(() => undefined)
    : undefined;
  return c.json({
    ...(user ? { user: { resourceType: 'User', id: user.id, email: user.email, identifier: user.identifier } } : {}),
    project: {
      resourceType: 'Project',
      id: project?.id,
      name: project?.name,
      description: project?.description,
      strictMode: project?.strictMode,
      superAdmin: project?.superAdmin,
    },
    membership: {
      resourceType: 'ProjectMembership',
      id: membership.id,
      identifier: membership.identifier,
      user: membership.user,
      profile: membership.profile,
      admin: membership.admin,
    },
    profile,
    config: await userConfiguration(services, project, membership),
    accessPolicy: withBasedOn(caller.accessPolicy, caller.membership),
    ...(user
      ? {
          security: {
            mfaEnrolled: Boolean(user.mfaEnrolled),
            sessions: sessionsOf(services, user),
            memberships: membershipsOf(services.repo, user).filter(
              (m) => m.project?.reference === membership.project?.reference
            ),
          },
        }
      : {}),
  });
}

/** The membership's UserConfiguration, or an empty one; without a menu it gets Medplum's getUserConfigurationMenu. */
async function userConfiguration(
  services: EmulatorServices,
  project: Project | undefined,
  membership: ProjectMembership
): Promise<UserConfiguration> {
  const stored = membership.userConfiguration
    ? await services.repo.readReference<UserConfiguration>(membership.userConfiguration).catch(() => undefined)
    : undefined;
  const config: UserConfiguration = stored ? { ...stored } : { resourceType: 'UserConfiguration' };
  if (!config.menu) config.menu = defaultMenu(project, membership);
  return config;
}

function defaultMenu(project: Project | undefined, membership: ProjectMembership): UserConfigurationMenu[] {
  const favorites = ['Patient', 'Practitioner', 'Organization', 'ServiceRequest', 'DiagnosticReport', 'Questionnaire'];
  const menu: UserConfigurationMenu[] = [
    { title: 'Favorites', link: favorites.map((resourceType) => ({ name: resourceType, target: `/${resourceType}` })) },
  ];
  if (membership.admin) {
    menu.push({
      title: 'Admin',
      link: [
        { name: 'Project', target: '/admin/project' },
        { name: 'AccessPolicy', target: '/AccessPolicy' },
        { name: 'Subscriptions', target: '/Subscription' },
        { name: 'Batch', target: '/batch' },
        ...(project?.superAdmin ? [] : [{ name: 'Config', target: '/admin/config' }]),
      ],
    });
  }
  if (project?.superAdmin) {
    menu.push({
      title: 'Super Admin',
      link: [
        { name: 'Projects', target: '/Project' },
        { name: 'Super Config', target: '/admin/super' },
        { name: 'Super AsyncJob', target: '/admin/super/asyncjob' },
      ],
    });
  }
  return menu;
}

/** Medplum's built policy names the policies it combines in `basedOn` (me.test.ts "AccessPolicy.basedOn"). */
function withBasedOn(policy: AccessPolicy, membership: ProjectMembership): AccessPolicy {
  const basedOn = [
    ...(membership.accessPolicy ? [membership.accessPolicy] : []),
    ...(membership.access ?? []).map((access) => access.policy),
  ];
  return basedOn.length > 0 ? { ...policy, basedOn } : policy;
}

const SESSION_WINDOW_MS = 3600 * 1000;

/** Logins of the last hour with a membership and not revoked, as me.ts getSessions. */
function sessionsOf(services: EmulatorServices, user: WithId<User>) {
  const since = Date.now() - SESSION_WINDOW_MS;
  return services.repo
    .list<Login>('Login')
    .filter((login) => login.user.reference === `User/${user.id}` && login.membership && !login.revoked)
    .filter((login) => new Date(login.meta?.lastUpdated ?? 0).getTime() > since)
    .map((login) => ({
      id: login.id,
      lastUpdated: login.meta?.lastUpdated,
      authMethod: login.authMethod,
      remoteAddress: login.remoteAddress,
      browser: login.userAgent ? browserName(login.userAgent) : undefined,
      os: login.userAgent ? osName(login.userAgent) : undefined,
    }));
}

/** Browser and OS names as Bowser (which Medplum uses) reports them, for the common user agents. */
function browserName(userAgent: string): string | undefined {
  if (/\bEdg(e|A|iOS)?\//.test(userAgent)) return 'Microsoft Edge';
  if (/\b(OPR|Opera)\//.test(userAgent)) return 'Opera';
  if (/\b(Firefox|FxiOS)\//.test(userAgent)) return 'Firefox';
  if (/\b(Chrome|CriOS|Chromium)\//.test(userAgent)) return 'Chrome';
  if (/\bSafari\//.test(userAgent)) return 'Safari';
  return undefined;
}

function osName(userAgent: string): string | undefined {
  if (/Windows/.test(userAgent)) return 'Windows';
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'iOS';
  if (/Android/.test(userAgent)) return 'Android';
  if (/Mac OS X|Macintosh/.test(userAgent)) return 'macOS';
  if (/CrOS/.test(userAgent)) return 'Chrome OS';
  if (/Linux/.test(userAgent)) return 'Linux';
  return undefined;
}
