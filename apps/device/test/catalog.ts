import type { MedplumClient } from '@medplum/core';
import { activityDefinitions, observationDefinitions, readCatalogSource } from '@org/catalog-pipeline/catalog';
import { publishCatalog } from '@org/catalog-pipeline/publish';
import { catalogFrom, type LabCatalog } from '../src/catalog.ts';

/**
 * The lab catalogue as the pipeline publishes it (apps/catalog-pipeline/catalog/lab-tests.json), for tests: as the
 * device reads it back (unit tests, no server), or published to an emulator by the pipeline's own code.
 */
export function publishedCatalog(): LabCatalog {
  const source = readCatalogSource();
  const analytes = observationDefinitions(source).map((d) => ({ ...d, id: d.identifier?.[0]?.value ?? '' }));
  const ids = new Map(analytes.map((a) => [a.id, a.id]));
  return catalogFrom(activityDefinitions(source, ids), analytes);
}

/** Publishes the catalogue with the pipeline's code, signed in as the pipeline's client. */
export async function publishCatalogTo(pipeline: MedplumClient): Promise<void> {
  await publishCatalog(pipeline, readCatalogSource());
}
