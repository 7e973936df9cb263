import { composeSchemas, deviceSchema, medplumSchema } from '@org/config';

/** Everything the device reads from its environment: the Medplum connection plus the device concern. */
export const deviceConfigSchema = composeSchemas(medplumSchema, deviceSchema);

export type DeviceConfig = Readonly<(typeof deviceConfigSchema)['_zod']['output']>;

export type DeviceAuthMethod = DeviceConfig['DEVICE_AUTH_METHOD'];

/** Where a setting came from, so the log can say why a method is in use. */
export type SettingSource = 'environment' | 'default';
