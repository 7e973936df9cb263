/** The only file of the pipeline that touches the environment: the Medplum URL and the pipeline's own client. */
import { composeSchemas, loadConfigOrExit, medplumSchema, pipelineSchema } from '@org/config';

export const pipelineConfigSchema = composeSchemas(medplumSchema, pipelineSchema);

export function loadPipelineConfig() {
  return loadConfigOrExit(pipelineConfigSchema);
}
