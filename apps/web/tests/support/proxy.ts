import { MedplumClient } from '@medplum/core';
import type { Communication } from '@medplum/fhirtypes';
import { SEED_IDS } from '@org/auth/provisioning';
import { loadConfig, proxySchema } from '@org/config';

/**
 * Stands in for apps/proxy in these tests: the proxy's ClientApplication (client credentials, a project admin) adds
 * a note on behalf of the clinician's membership, as the legacy app's "add a note" does (`X-Medplum-On-Behalf-Of`).
 */
export async function addNoteAsProxy(patientId: string, text: string): Promise<Communication> {
  const config = loadConfig(proxySchema);
  const medplum = new MedplumClient({ baseUrl: 'http://localhost:8103/', fetch });
  await medplum.startClientLogin(config.PROXY_MEDPLUM_CLIENT_ID, config.PROXY_MEDPLUM_CLIENT_SECRET);
  return medplum.createResource<Communication>(
    {
      resourceType: 'Communication',
      status: 'completed',
      subject: { reference: `Patient/${patientId}` },
      payload: [{ contentString: text }],
    },
    { headers: { 'X-Medplum-On-Behalf-Of': `ProjectMembership/${SEED_IDS.practitionerMembership}` } }
  );
}
