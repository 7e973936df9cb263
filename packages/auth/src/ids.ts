/**
 * `@org/auth/ids`: the names the apps look things up by at runtime — identifier and tag systems, the keys of the
 * auth model and the seed's fixed ids. Plain constants: no secret, no node: import, nothing of the model itself, so
 * app code (the proxy's user store, the device's analyzer, the web app's pages) can import it without loading
 * `@org/auth/provisioning` (bcrypt and the whole model).
 */

/** Identifier / tag systems of the model. */
export const SYSTEMS = {
  /** meta.tag on every provisioned resource: code = the model key; how `provision` finds what it made. */
  provisioning: 'https://reference.org.example/fhir/provisioning',
  device: 'https://reference.org.example/fhir/device',
  patient: 'https://reference.org.example/fhir/patient',
  practitioner: 'https://reference.org.example/fhir/practitioner',
  /** Identifier system and canonical URL base of the lab test catalogue the pipeline publishes. */
  labCatalog: 'https://reference.org.example/fhir/lab-catalog',
} as const;

/** Identifier system of the results one device makes; its AccessPolicy only lets it create/read reports in it. */
export function deviceResultSystem(deviceId: string): string {
  return `https://reference.org.example/fhir/device-result/${deviceId}`;
}

/** The ValueSet of orderable lab tests the catalogue pipeline publishes (apps/catalog-pipeline); readers ask for `status=active`. */
export const LAB_CATALOG_VALUE_SET_URL = `${SYSTEMS.labCatalog}/ValueSet/orderable-lab-tests`;

/** The analyzers' identifiers (in {@link SYSTEMS}.device): how apps find a Device on a server that assigned its id. */
export const DEVICE_IDENTIFIERS = {
  analyzer: 'lab-analyzer-1',
  /** A second analyzer without credentials, for denial tests. */
  otherAnalyzer: 'lab-analyzer-2',
} as const;

/** Medplum's Subscription extensions (note the `www.` host of the secret, unlike the others). */
export const SUBSCRIPTION_EXTENSIONS = {
  secret: 'https://www.medplum.com/fhir/StructureDefinition/subscription-secret',
  supportedInteraction: 'https://medplum.com/fhir/StructureDefinition/subscription-supported-interaction',
  maxAttempts: 'https://medplum.com/fhir/StructureDefinition/subscription-max-attempts',
} as const;

/** Stable name of every model entry, also the code of its `meta.tag` ({@link SYSTEMS}.provisioning). */
export const MODEL_KEYS = {
  project: 'project',
  noAccessPolicy: 'access-policy/no-access',
  practitionerPolicy: 'access-policy/practitioner',
  receptionPolicy: 'access-policy/reception',
  proxyPolicy: 'access-policy/proxy',
  devicePolicy: 'access-policy/device',
  catalogPolicy: 'access-policy/catalog-publisher',
  analyzerDevice: 'device/lab-analyzer-1',
  otherDevice: 'device/lab-analyzer-2',
  patientMaria: 'patient/maria-garcia',
  patientJames: 'patient/james-okafor',
  webClient: 'client/web',
  webMembership: 'membership/web',
  proxyClient: 'client/proxy',
  proxyMembership: 'membership/proxy',
  deviceClient: 'client/device',
  deviceMembership: 'membership/device',
  pipelineClient: 'client/pipeline',
  pipelineMembership: 'membership/pipeline',
  practitioner: 'practitioner/dev',
  practitionerUser: 'user/dev',
  practitionerMembership: 'membership/dev',
  receptionist: 'practitioner/reception',
  receptionistUser: 'user/reception',
  receptionistMembership: 'membership/reception',
  labOrderSubscription: 'subscription/lab-orders',
} as const;

/**
 * Every fixed id of the seed (the three ClientApplication ids come from the configuration instead): name-based UUIDs
 * (RFC 9562 version 5) of the names in the comments, written out so that this module needs no hashing; `nameUuid`
 * in `@org/auth/provisioning` derives them and ids.test.ts checks that it still does.
 */
export const SEED_IDS = {
  /** Project/reference */
  project: '59634bc1-03d4-5e38-af3b-9d060385b820',
  /** AccessPolicy/practitioner */
  practitionerPolicy: '7f513115-4fff-5daf-b750-e0bcc1262e21',
  /** AccessPolicy/reception */
  receptionPolicy: '3f8f3826-3450-5ef2-9db3-b2446ef3f2ff',
  /** AccessPolicy/proxy */
  proxyPolicy: 'f563bcf6-73b9-59d9-a410-bc34548cbb51',
  /** AccessPolicy/device */
  devicePolicy: 'e4ba73c0-f965-5279-91ed-7ace1f44199c',
  /** AccessPolicy/catalog-publisher */
  catalogPolicy: '0bd7d535-c6cf-5147-9b9c-c36636acd533',
  /** AccessPolicy/no-access */
  noAccessPolicy: '161260d6-d1e0-5a56-90ad-4838513f8578',
  /** Device/lab-analyzer-1 */
  analyzerDevice: '5160f792-408d-574d-b9a9-872ed59ed152',
  /** Device/lab-analyzer-2 */
  otherDevice: 'e822b7ac-e2b9-5a6b-8685-872971a94b8a',
  /** Patient/maria-garcia */
  patientMaria: 'ee82f926-5896-5a2a-80c0-ed26314220dd',
  /** Patient/james-okafor */
  patientJames: '0aa52236-33cd-50cb-bfb8-12b81732bf1c',
  /** Practitioner/dev */
  practitioner: '15cf44a7-3342-5bef-92c2-bf35a6365cbd',
  /** User/dev */
  practitionerUser: '0542e52e-ca92-5853-adc7-d10484d3699a',
  /** ProjectMembership/dev */
  practitionerMembership: '5f73f42f-4739-50f9-9be9-a47bc1a2a4d1',
  /** Practitioner/reception */
  receptionist: '4f174cd5-cff2-5802-b203-9f3c1a2b73fb',
  /** User/reception */
  receptionistUser: 'e9f86a24-83ca-5e90-9b2c-39dc184dd0bb',
  /** ProjectMembership/reception */
  receptionistMembership: 'ee01299b-4c7e-5908-acf5-116c878901d4',
  /** ProjectMembership/web */
  webMembership: '987fa61f-b3b1-5cd4-8dbc-ce1bb35b96a1',
  /** ProjectMembership/proxy */
  proxyMembership: 'cdcbc9e0-a445-53e2-89d8-0392ec3da3b2',
  /** ProjectMembership/device */
  deviceMembership: '7c009c33-3468-55eb-ab55-4db967e5cc64',
  /** ProjectMembership/pipeline */
  pipelineMembership: 'ea0ded45-5a5c-589a-935d-9b91a30931c9',
  /** Subscription/lab-orders */
  labOrderSubscription: 'a8a9acf4-9816-5c65-ba87-fdb393cfbdb7',
} as const;
