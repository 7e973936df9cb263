/**
 * The whole auth model as data: what the emulator is seeded with and what `provision` makes a real project match.
 * Each part lives in its own module (policies, devices, clients, people, subscription); this one puts them in
 * dependency order.
 */
import type { Bundle, Project, User } from '@medplum/fhirtypes';
import { MODEL_KEYS, SEED_IDS } from '../../ids.ts';
import { clients } from './clients.ts';
import { devices } from './devices.ts';
import { entry, type ModelEntry, projectMeta, projectRef, ref } from './entries.ts';
import type { AuthModelOptions } from './options.ts';
import { demoPatients, practitioners } from './people.ts';
import { accessPolicies } from './policies.ts';
import { labOrderSubscription } from './subscription.ts';

export { clientWithMembership, identityProviderFor } from './clients.ts';
export type { ModelEntry, ProvisionVia } from './entries.ts';
export {
  type AuthModelOptions,
  type AuthModelOverrides,
  type ClientName,
  type ConfidentialClientOptions,
  type DeviceClientOptions,
  type ExternalIdpOptions,
  type WebClientOptions,
  withOverrides,
} from './options.ts';

export interface AuthModel {
  projectId: string;
  clientIds: { web: string; proxy: string; device: string; pipeline: string };
  /** In dependency order: anything referenced comes before what references it. */
  entries: ModelEntry[];
  redirectUris: string[];
  webhookUrl: string;
  deviceJwksUri: string;
}

export const DEFAULT_WEB_ORIGIN = 'http://localhost:3000';
export const DEFAULT_CALLBACK_PATH = '/auth/callback';

function project(projectName: string | undefined): ModelEntry {
  const key = MODEL_KEYS.project;
  return entry<Project>({
    key,
    via: 'project',
    resource: {
      resourceType: 'Project',
      id: SEED_IDS.project,
      meta: projectMeta(key),
      name: projectRef(projectName).display,
      description: 'Medplum auth reference: client-side, server-side and device patterns',
      strictMode: true,
      owner: ref<User>('User', SEED_IDS.practitionerUser),
    },
  });
}

export function buildAuthModel(options: AuthModelOptions): AuthModel {
  const callbackPath = options.web.callbackPath ?? DEFAULT_CALLBACK_PATH;
  // The callback path only: every other path of the web origin stays out of reach of an authorization code.
  const redirectUris = (options.web.origins ?? [DEFAULT_WEB_ORIGIN]).map(
    (origin) => `${origin.replace(/\/+$/, '')}${callbackPath}`
  );
  const entries = [
    project(options.projectName),
    ...accessPolicies(),
    ...devices(),
    ...demoPatients(),
    ...clients(options, redirectUris),
    ...practitioners(options),
    labOrderSubscription(options.device.webhook),
  ];
  return {
    projectId: SEED_IDS.project,
    clientIds: {
      web: options.web.clientId,
      proxy: options.proxy.clientId,
      device: options.device.clientId,
      pipeline: options.pipeline.clientId,
    },
    entries,
    redirectUris,
    webhookUrl: options.device.webhook.url,
    deviceJwksUri: options.device.jwksUri,
  };
}

/** The emulator's seed: every model resource exactly as Medplum stores it, fixed ids kept. */
export function buildEmulatorSeed(options: AuthModelOptions): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: buildAuthModel(options).entries.map((e) => ({ fullUrl: `urn:uuid:${e.resource.id}`, resource: e.resource })),
  };
}
