import { ensureTrailingSlash } from '@medplum/core';
import type {
  AccessPolicy,
  ClientApplication,
  Device,
  IdentityProvider,
  ProjectMembership,
  ProjectMembershipAccess,
} from '@medplum/fhirtypes';
import { MODEL_KEYS, SEED_IDS } from '../../ids.ts';
import { byTag, entry, type ModelEntry, projectMeta, projectRef, ref } from './entries.ts';
import type { AuthModelOptions, ClientName, ExternalIdpOptions } from './options.ts';

/**
 * The external IdP as Medplum's ClientApplication.identityProvider: the authorize URL the browser is sent to (the
 * same public setting the web app uses) and the token / userinfo / JWKS endpoints at the paths the local Acme SSO
 * (oidc-provider, `routes` in the emulator) publishes under its issuer.
 */
export function identityProviderFor(idp: ExternalIdpOptions): IdentityProvider {
  const base = ensureTrailingSlash(idp.issuer);
  return {
    authorizeUrl: idp.authorizeUrl,
    tokenUrl: new URL('token', base).toString(),
    userInfoUrl: new URL('userinfo', base).toString(),
    jwksUrl: new URL('jwks', base).toString(),
    // Exactly as the IdP writes it into its ID tokens (Medplum verifies iss against it).
    issuer: idp.issuer,
    audience: idp.clientId,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    tokenAuthMethod: 'client_secret_basic',
    // Medplum would send the browser's code *challenge* as the IdP code_verifier (external.ts), which no IdP accepts
    // for S256. PKCE therefore binds the browser to the Medplum login (state.codeChallenge), not to the IdP code.
    usePkce: false,
  };
}

interface ClientWithMembership {
  keys: { client: string; membership: string };
  membershipId: string;
  /** A public client: `provision` never hands out the secret Medplum generates for it. */
  publicClient?: true;
  /** The ClientApplication's own fields (id, name, redirect URIs, secret, lifetimes, ...). */
  client: Omit<ClientApplication, 'resourceType' | 'meta'> & { id: string };
  /** What the membership grants: `accessPolicy`, parameterised `access`, `admin`. */
  grants: Pick<ProjectMembership, 'admin' | 'accessPolicy' | 'access'>;
}

/**
 * A ClientApplication and the ProjectMembership Medplum gives it (`POST admin/projects/:id/client` creates both;
 * the membership is what decides what the client's own tokens reach).
 */
export function clientWithMembership(c: ClientWithMembership, projectName: string | undefined): ModelEntry[] {
  const { id, ...fields } = c.client;
  return [
    entry<ClientApplication>({
      key: c.keys.client,
      via: 'client',
      match: byTag('ClientApplication', c.keys.client),
      membershipKey: c.keys.membership,
      ...(c.publicClient ? { publicClient: true } : {}),
      serverOwned: ['secret', 'retiringSecret'],
      resource: { resourceType: 'ClientApplication', id, meta: projectMeta(c.keys.client), ...fields },
    }),
    entry<ProjectMembership>({
      key: c.keys.membership,
      via: 'dependent',
      resource: {
        resourceType: 'ProjectMembership',
        id: c.membershipId,
        meta: projectMeta(c.keys.membership),
        project: projectRef(projectName),
        user: ref<ClientApplication>('ClientApplication', id),
        profile: ref<ClientApplication>('ClientApplication', id),
        ...c.grants,
      },
    }),
  ];
}

function optional<K extends string, V>(key: K, value: V | undefined | ''): Partial<Record<K, V>> {
  return value ? ({ [key]: value } as Record<K, V>) : {};
}

/** The ClientApplications, one per pattern plus the catalogue pipeline, each with its membership. */
export function clients(options: AuthModelOptions, redirectUris: string[]): ModelEntry[] {
  const K = MODEL_KEYS;
  const { web, proxy, device, pipeline } = options;
  const lifetime = (client: ClientName) =>
    optional('accessTokenLifetime', options[client].accessTokenLifetime ?? options.accessTokenLifetime);
  const analyzerAccess: ProjectMembershipAccess = {
    policy: ref<AccessPolicy>('AccessPolicy', SEED_IDS.devicePolicy),
    parameter: [
      { name: 'device', valueReference: ref<Device>('Device', SEED_IDS.analyzerDevice, 'Acme lab analyzer 1') },
    ],
  };
  return [
    ...clientWithMembership(
      {
        keys: { client: K.webClient, membership: K.webMembership },
        membershipId: SEED_IDS.webMembership,
        publicClient: true,
        client: {
          id: web.clientId,
          name: 'Web app (public PKCE client)',
          description: 'apps/web: the browser signs in as the user; no secret, PKCE required',
          status: 'active',
          redirectUris,
          pkceOptional: false,
          identityProvider: identityProviderFor(options.externalIdp),
          ...lifetime('web'),
          ...optional('refreshTokenLifetime', web.refreshTokenLifetime),
        },
        // Medplum gives every ClientApplication a membership (and a secret); the web one must reach nothing by itself.
        grants: { accessPolicy: ref<AccessPolicy>('AccessPolicy', SEED_IDS.noAccessPolicy) },
      },
      options.projectName
    ),
    ...clientWithMembership(
      {
        keys: { client: K.proxyClient, membership: K.proxyMembership },
        membershipId: SEED_IDS.proxyMembership,
        client: {
          id: proxy.clientId,
          name: 'Legacy clinic proxy (confidential, project admin for on-behalf-of)',
          description: 'apps/proxy: holds this secret server-side and calls Medplum on behalf of its own users',
          status: 'active',
          ...optional('secret', proxy.clientSecret),
          ...lifetime('proxy'),
        },
        // X-Medplum-On-Behalf-Of requires an admin membership. Blast radius: see README ("proxy").
        grants: { admin: true, accessPolicy: ref<AccessPolicy>('AccessPolicy', SEED_IDS.proxyPolicy) },
      },
      options.projectName
    ),
    ...clientWithMembership(
      {
        keys: { client: K.deviceClient, membership: K.deviceMembership },
        membershipId: SEED_IDS.deviceMembership,
        client: {
          id: device.clientId,
          name: 'Lab analyzer (confidential device client)',
          description: 'apps/device: client credentials, Basic fallback, or private_key_jwt with the key it publishes',
          status: 'active',
          // Medplum still wants a secret on the client even for private_key_jwt (token.ts uses client.secret).
          ...optional('secret', device.clientSecret),
          jwksUri: device.jwksUri,
          ...lifetime('device'),
        },
        // One AccessPolicy for every analyzer, parameterised with this one's Device.
        grants: { access: [analyzerAccess] },
      },
      options.projectName
    ),
    ...clientWithMembership(
      {
        keys: { client: K.pipelineClient, membership: K.pipelineMembership },
        membershipId: SEED_IDS.pipelineMembership,
        client: {
          id: pipeline.clientId,
          name: 'Lab catalogue pipeline (confidential CI client)',
          description: 'apps/catalog-pipeline: a CI job publishes the orderable lab tests; catalogue resources only',
          status: 'active',
          ...optional('secret', pipeline.clientSecret),
          ...lifetime('pipeline'),
        },
        grants: { accessPolicy: ref<AccessPolicy>('AccessPolicy', SEED_IDS.catalogPolicy) },
      },
      options.projectName
    ),
  ];
}
