import type { Observation } from '@medplum/fhirtypes';
import { readCatalogSource } from '@org/catalog-pipeline/catalog';
import { publishCatalog } from '@org/catalog-pipeline/publish';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderLabTest, resultsFor, settle, startWorld, type World } from './harness.ts';

// Integration: what the analyzer runs is what the pipeline published to Medplum, read with the device's own client.
let world: World;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.close();
});

describe('the analyzer runs the catalogue published to Medplum', () => {
  it('measures each analyte the published test names, with the published unit and reference range', async () => {
    const order = await orderLabTest(world, { code: '24331-1' });
    await settle(world);
    const { observations } = await resultsFor(world, order.id);
    const ldl = (observations as Observation[]).find((o) => o.code?.coding?.[0]?.code === '13457-7');
    expect(observations).toHaveLength(4);
    expect(ldl?.referenceRange?.[0]?.low).toMatchObject({ value: 50, unit: 'mg/dL' });
    expect(ldl?.referenceRange?.[0]?.high).toMatchObject({ value: 129, unit: 'mg/dL' });
  });

  it('a test published after the device started is run on its first order (the device reads the catalogue again)', async () => {
    const before = await orderLabTest(world, { code: '2093-3' });
    await settle(world);
    expect((await resultsFor(world, before.id)).observations).toHaveLength(0);

    const source = readCatalogSource();
    const cholesterol = {
      code: '2093-3',
      display: 'Cholesterol [Mass/volume] in Serum or Plasma',
      analytes: ['2093-3'],
    };
    await publishCatalog(world.pipeline, {
      ...source,
      version: `${source.version}-test`,
      tests: [...source.tests, cholesterol],
    });
    const after = await orderLabTest(world, { code: '2093-3' });
    await settle(world);
    const { observations, reports } = await resultsFor(world, after.id);
    expect(observations).toHaveLength(1);
    expect(reports[0]?.conclusion).not.toMatch(/no assay/);
  });
});
