import type { WithId } from '@medplum/core';
import { forbidden, OperationOutcomeError } from '@medplum/core';
import type { Project } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import type { Caller } from '../access/authenticate.ts';
import { readProject } from '../access/directory.ts';
import { forRequest, sendResource } from '../fhir/routes.ts';
import type { AppEnv } from '../http/app-env.ts';
import { readJsonObject } from '../http/body.ts';
import { requireAuth } from '../http/require-auth.ts';
import type { EmulatorServices } from '../services.ts';
import { createClient, parseClientRequest } from './client.ts';
import { inviteUser, parseInviteRequest } from './invite.ts';

/**
 * The two project-admin endpoints of Medplum's `/admin/projects` router (packages/server/src/admin/project.ts) that
 * provisioning needs. As in Medplum: authentication first (401), then the project-admin check (403), then the body (400).
 * The project is the caller's own; like Medplum for anyone but a super admin, the `:projectId` in the path is not read.
 */
export function adminRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/admin/projects/:projectId/client', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    const project = await adminProject(services, caller);
    const request = parseClientRequest(await readJsonObject(c));
    const client = await createClient(services, caller, project, request);
    return c.json(forRequest(c, client), 201);
  });

  app.post('/admin/projects/:projectId/invite', requireAuth(services), async (c) => {
    const project = await adminProject(services, c.get('caller'));
    const request = parseInviteRequest(await readJsonObject(c));
    const membership = await inviteUser(services, project, request);
    return sendResource(c, services, membership, 200);
  });

  return app;
}

/** Medplum's `verifyProjectAdmin`: the caller's membership (the on-behalf-of one, if any) must be a project admin. */
async function adminProject(services: EmulatorServices, caller: Caller): Promise<WithId<Project>> {
  const project = caller.membership.admin ? await readProject(services.repo, caller.membership) : undefined;
  if (!project) throw new OperationOutcomeError(forbidden);
  return project;
}
