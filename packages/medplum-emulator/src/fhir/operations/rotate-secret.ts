import { badRequest, forbidden, OperationOutcomeError } from '@medplum/core';
import type { ClientApplication, Parameters } from '@medplum/fhirtypes';
import { Hono } from 'hono';
import type { AppEnv } from '../../http/app-env.ts';
import { readJsonObject } from '../../http/body.ts';
import { requireAuth } from '../../http/require-auth.ts';
import { randomSecret } from '../../oauth/logins.ts';
import type { EmulatorServices } from '../../services.ts';
import { callerRepository, systemRepository } from '../repositories.ts';
import { forRequest, sendResource } from '../routes.ts';

/**
 * `POST /fhir/R4/ClientApplication/:id/$rotate-secret`, as packages/server/src/fhir/operations/rotatesecret.ts:
 * project admins only (403); exactly one of the `secret` / `retiringSecret` parameters (400). `secret` equal to the
 * current secret moves it to `retiringSecret` and generates a new one (the token endpoint accepts both, so devices
 * switch over without downtime); `retiringSecret` equal to the retiring one removes it. Anything else: 400 "Provided
 * secret does not match client". The write goes through the system repository (the secret fields are not
 * user-writeable); the answer is the updated ClientApplication, both secrets included.
 * Medplum reads the client with its system repository; the emulator reads it as the caller, so a client of another
 * project is a 404 here (Medplum refuses it too, with 400, unless the caller knows that client's secret).
 */
export function rotateSecretRoutes(services: EmulatorServices): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/fhir/R4/ClientApplication/:id/:operation{\\$rotate-secret}', requireAuth(services), async (c) => {
    const caller = c.get('caller');
    if (!caller.membership.admin) throw new OperationOutcomeError(forbidden);
    const { secret, retiringSecret } = rotateParameters(await readJsonObject(c));
    if (!secret && !retiringSecret) throw new OperationOutcomeError(badRequest('Secret to rotate must be provided'));
    if (secret && retiringSecret)
      throw new OperationOutcomeError(badRequest('Only one secret can be rotated at a time'));
    const client = await callerRepository(services, caller).readResource<ClientApplication>(
      'ClientApplication',
      c.req.param('id')
    );
    let rotated: ClientApplication;
    if (secret && secret === client.secret) {
      rotated = { ...client, secret: randomSecret(), retiringSecret: client.secret };
    } else if (retiringSecret && retiringSecret === client.retiringSecret) {
      const { retiringSecret: _retired, ...rest } = client;
      rotated = rest;
    } else {
      throw new OperationOutcomeError(badRequest('Provided secret does not match client'));
    }
    const updated = await systemRepository(services, caller.projectId).updateResource(rotated);
    return sendResource(c, services, forRequest(c, updated), 200);
  });
  return app;
}

function rotateParameters(body: Record<string, unknown>): { secret?: string; retiringSecret?: string } {
  const parameters = (body as unknown as Parameters).parameter ?? [];
  const value = (name: string) => parameters.find((p) => p.name === name)?.valueString;
  return { secret: value('secret'), retiringSecret: value('retiringSecret') };
}
