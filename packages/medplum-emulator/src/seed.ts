import type { Bundle, Resource } from '@medplum/fhirtypes';
import { EmulatorStartError } from './errors.ts';
import type { EmulatorRepository } from './store/emulator-repository.ts';

/**
 * Loads a seed Bundle (`collection` or `transaction`) of resources exactly as Medplum stores them, ids kept as given.
 * Resources already in the repository (from the data file), or deleted there, are left alone: a restart never undoes
 * what users changed, and new seed entries still appear.
 */
export async function applySeed(repo: EmulatorRepository, seed: Bundle): Promise<number> {
  if (seed?.resourceType !== 'Bundle' || (seed.type !== 'collection' && seed.type !== 'transaction')) {
    throw new EmulatorStartError('The seed must be a FHIR Bundle of type "collection" or "transaction".');
  }
  let added = 0;
  await repo.withSeeding(async () => {
    for (const [index, entry] of (seed.entry ?? []).entries()) {
      const resource = withId(entry.resource, entry.request?.url, index);
      if (repo.wasEverWritten(resource.resourceType, resource.id)) continue;
      await repo.createResource(resource);
      added += 1;
    }
  });
  return added;
}

function withId(
  resource: Resource | undefined,
  requestUrl: string | undefined,
  index: number
): Resource & { id: string } {
  if (!resource?.resourceType) {
    throw new EmulatorStartError(`Seed entry ${index} has no resource with a resourceType.`);
  }
  // A transaction entry may carry its id in `request.url` (`PUT Patient/123`) instead of the resource.
  const id = resource.id ?? /^[A-Za-z]+\/([^/?]+)$/.exec(requestUrl ?? '')?.[1];
  if (!id) {
    throw new EmulatorStartError(
      `Seed entry ${index} (${resource.resourceType}) has no id. Give every seed resource a fixed id so references hold.`
    );
  }
  return { ...resource, id };
}
