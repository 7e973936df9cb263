#!/usr/bin/env node
/**
 *   node src/cli.ts [--dry-run | --check] [--catalog FILE]
 * Publishes the lab test catalogue (catalog/lab-tests.json) to MEDPLUM_BASE_URL as the pipeline's own
 * ClientApplication (PIPELINE_MEDPLUM_CLIENT_ID / _SECRET; in CI, from the secret store). One progress line per
 * resource. `--dry-run` prints what would change, field by field, and changes nothing; `--check` changes nothing and
 * exits 1 when Medplum differs from the file (drift). The secret is never printed.
 */
import { parseArgs } from 'node:util';
import { normalizeErrorString } from '@medplum/core';
import { clientCredentials, createServiceClient } from '@org/auth/server';
import { CATALOG_FILE, readCatalogSource } from './catalog.ts';
import { loadPipelineConfig } from './env.ts';
import { type PublishMode, type PublishReport, publishCatalog } from './publish.ts';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`catalog-pipeline: ${message}\n`);
  process.exit(1);
}

function printDiff(report: PublishReport): void {
  for (const change of report.changes.filter((c) => c.fields)) {
    out(`~ ${change.label}`);
    for (const { field, live, wanted } of change.fields ?? []) {
      out(`    ${field}: ${JSON.stringify(live)} -> ${JSON.stringify(wanted)}`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'dry-run': { type: 'boolean' }, check: { type: 'boolean' }, catalog: { type: 'string' } },
  });
  if (values['dry-run'] && values.check) fail('--dry-run and --check are exclusive');
  const mode: PublishMode = values.check ? 'check' : values['dry-run'] ? 'dry-run' : 'apply';
  const source = readCatalogSource(values.catalog ?? CATALOG_FILE);
  const config = loadPipelineConfig();
  // The server pattern's client (@org/auth/server): client credentials, token renewed if a long publish outlives it.
  const pipeline = createServiceClient({
    baseUrl: config.MEDPLUM_BASE_URL,
    credentials: clientCredentials({
      clientId: config.PIPELINE_MEDPLUM_CLIENT_ID,
      clientSecret: config.PIPELINE_MEDPLUM_CLIENT_SECRET,
    }),
  });
  try {
    await pipeline.ready();
  } catch (error) {
    fail(`could not sign in to ${config.MEDPLUM_BASE_URL} as the pipeline client: ${normalizeErrorString(error)}`);
  }
  out(`${mode === 'apply' ? 'publishing' : mode} lab catalogue v${source.version} to ${config.MEDPLUM_BASE_URL}`);
  const report = await publishCatalog(pipeline.medplum, source, { mode, log: out });
  if (mode !== 'apply') printDiff(report);
  const count = (action: string) => report.changes.filter((c) => c.action === action).length;
  out(
    `${count('created')} created, ${count('updated')} updated, ${count('retired')} retired, ${count('unchanged')} unchanged` +
      (mode === 'apply' ? '' : ' (nothing written)')
  );
  if (mode === 'check' && report.drift) fail('Medplum differs from the catalogue file (drift); publish it');
}

try {
  await main();
} catch (error) {
  fail(normalizeErrorString(error));
}
