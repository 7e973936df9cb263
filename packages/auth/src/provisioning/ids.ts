import { createHash } from 'node:crypto';

/**
 * Deterministic ids for the seed: name-based UUIDs (RFC 9562 version 5, SHA-1) in a namespace of our own, so every
 * run, every helper and every test agrees on them, and a real Medplum (which only accepts UUID ids) would accept them.
 */
const NAMESPACE = Buffer.from('6f1d2c3b-9a84-4e57-8b0c-5d2f7e1a9c40'.replaceAll('-', ''), 'hex');

export function nameUuid(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Identifier / tag systems of the model. */
export const SYSTEMS = {
  /** meta.tag on every provisioned resource: code = the model key; how `provision` finds what it made. */
  provisioning: 'https://reference.org.example/fhir/provisioning',
  device: 'https://reference.org.example/fhir/device',
  patient: 'https://reference.org.example/fhir/patient',
  practitioner: 'https://reference.org.example/fhir/practitioner',
} as const;

/** Identifier system of the results one device makes; its AccessPolicy only lets it create/read reports in it. */
export function deviceResultSystem(deviceId: string): string {
  return `https://reference.org.example/fhir/device-result/${deviceId}`;
}

/** Medplum's Subscription extensions (note the `www.` host of the secret, unlike the others). */
export const SUBSCRIPTION_EXTENSIONS = {
  secret: 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret',
  supportedInteraction: 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction',
  maxAttempts: 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts',
} as const;

/** Every fixed id of the seed (the three ClientApplication ids come from the configuration instead). */
export const SEED_IDS = {
  project: nameUuid('Project/reference'),
  practitionerPolicy: nameUuid('AccessPolicy/practitioner'),
  receptionPolicy: nameUuid('AccessPolicy/reception'),
  proxyPolicy: nameUuid('AccessPolicy/proxy'),
  devicePolicy: nameUuid('AccessPolicy/device'),
  noAccessPolicy: nameUuid('AccessPolicy/no-access'),
  analyzerDevice: nameUuid('Device/lab-analyzer-1'),
  otherDevice: nameUuid('Device/lab-analyzer-2'),
  patientMaria: nameUuid('Patient/maria-garcia'),
  patientJames: nameUuid('Patient/james-okafor'),
  practitioner: nameUuid('Practitioner/dev'),
  practitionerUser: nameUuid('User/dev'),
  practitionerMembership: nameUuid('ProjectMembership/dev'),
  receptionist: nameUuid('Practitioner/reception'),
  receptionistUser: nameUuid('User/reception'),
  receptionistMembership: nameUuid('ProjectMembership/reception'),
  webMembership: nameUuid('ProjectMembership/web'),
  proxyMembership: nameUuid('ProjectMembership/proxy'),
  deviceMembership: nameUuid('ProjectMembership/device'),
  labOrderSubscription: nameUuid('Subscription/lab-orders'),
} as const;
