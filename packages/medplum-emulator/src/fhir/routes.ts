import { getStatus } from '@medplum/core';
import type { HttpMethod } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../http/app-env.ts';
import { readJsonBody } from '../http/body.ts';
import { FHIR_JSON, sendOutcome } from '../http/outcomes.ts';
import { requireAuth } from '../http/require-auth.ts';
import type { EmulatorServices } from '../services.ts';
import { smartConfiguration } from '../wellknown.ts';
import { callerRepository, fhirBaseUrl } from './repositories.ts';

const FHIR_PREFIX = '/fhir/R4/';

/** Meta fields Medplum drops unless the request says `X-Medplum: extended` (packages/server/src/fhir/repo.ts, removeHiddenFields). */
const EXTENDED_ONLY_META = ['author', 'project', 'account', 'compartment'] as const;

/** `/fhir/R4/*` through FhirRouter, with the caller's ScopedRepository. */
export function fhirRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/fhir/R4/.well-known/smart-configuration', (c) => c.json(smartConfiguration(services)));
  app.get('/fhir/R4/.well-known/smart-styles.json', (c) => c.json({}));
  // Unauthenticated, as in Medplum; SMART clients read the OAuth endpoints from it.
  app.get('/fhir/R4/metadata', (c) => c.json(capabilityStatement(services), 200, { 'Content-Type': FHIR_JSON }));

  app.all('/fhir/R4/*', requireAuth(services), async (c) => {
    const extendedMode = isExtendedMode(c);
    const repo = callerRepository(services, c.get('caller'), { extendedMode });
    const url = new URL(c.req.url);
    const relative = url.pathname.slice(url.pathname.indexOf(FHIR_PREFIX) + FHIR_PREFIX.length) + url.search;
    const body = ['POST', 'PUT', 'PATCH'].includes(c.req.method) ? await readFhirBody(c) : undefined;
    const [outcome, resource] = await services.fhirRouter.handleRequest(
      {
        method: c.req.method as HttpMethod,
        url: relative,
        pathname: '',
        params: {},
        query: {},
        body,
        headers: Object.fromEntries(c.req.raw.headers.entries()),
      },
      repo
    );
    if (!resource) return sendOutcome(c, outcome);
    return sendResource(c, services, resource, getStatus(outcome) as ContentfulStatusCode);
  });

  return app;
}

/**
 * A resource as Medplum's `sendResponse` answers it: FHIR JSON, `ETag` / `Last-Modified` from its meta, `Location` on
 * 201, and the extended-only meta fields removed unless the request said `X-Medplum: extended`.
 */
export function sendResource(
  c: Context,
  services: EmulatorServices,
  resource: Resource,
  status: ContentfulStatusCode
): Response {
  const headers: Record<string, string> = { 'Content-Type': FHIR_JSON };
  if (resource.meta?.versionId && resource.resourceType !== 'Bundle') {
    headers.ETag = `W/"${resource.meta.versionId}"`;
    if (resource.meta.lastUpdated) headers['Last-Modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    if (status === 201) {
      headers.Location = `${fhirBaseUrl(services)}${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
    }
  }
  // As packages/server/src/fhir/response.ts: `Prefer: return=minimal` answers without a body, `_pretty=true` indented.
  if (c.req.header('prefer') === 'return=minimal') return c.body(null, status, headers);
  const pretty = c.req.query('_pretty') === 'true';
  return c.body(JSON.stringify(forRequest(c, resource), undefined, pretty ? 2 : undefined), status, headers);
}

/** The resource as the request may see it: without `X-Medplum: extended`, no `meta.author/project/account/compartment`. */
export function forRequest<T extends Resource>(c: Context, resource: T): T {
  return isExtendedMode(c) ? resource : withoutExtendedMeta(resource);
}

/** Exactly `X-Medplum: extended`, as packages/server/src/oauth/middleware.ts (`isExtendedMode`) compares it. */
function isExtendedMode(c: Context): boolean {
  return c.req.header('x-medplum') === 'extended';
}

/** FHIR bodies come as application/fhir+json, application/json or application/json-patch+json; a search POST as a form. */
async function readFhirBody(c: Context): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(await c.req.text()).entries());
  }
  return readJsonBody(c);
}

/** A minimal CapabilityStatement: what this server is and where its OAuth endpoints are. */
function capabilityStatement(services: EmulatorServices) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Medplum emulator (@org/medplum-emulator)' },
    implementation: { description: 'Local Medplum-compatible server', url: `${services.baseUrl}fhir/R4` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: true,
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' },
              ],
            },
          ],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${services.baseUrl}oauth2/authorize` },
                { url: 'token', valueUri: `${services.baseUrl}oauth2/token` },
                { url: 'introspect', valueUri: `${services.baseUrl}oauth2/introspect` },
              ],
            },
          ],
        },
      },
    ],
  };
}

function withoutExtendedMeta<T extends Resource>(resource: T): T {
  return JSON.parse(JSON.stringify(resource), (key, value: unknown) => {
    if (key === 'meta' && value && typeof value === 'object') {
      const meta = { ...(value as Record<string, unknown>) };
      for (const field of EXTENDED_ONLY_META) delete meta[field];
      return meta;
    }
    return value;
  }) as T;
}
