// Rest-hook Subscriptions as Medplum delivers them (packages/server/src/workers/subscription.ts). What the rest of
// the emulator uses; the modules beside this one import each other directly.

export type { SubscriptionAutoDisableTrigger } from './auto-disable.ts';
export { createSubscriptionDispatcher } from './dispatcher.ts';
export { requestTrace } from './request-trace.ts';
export type { SubscriptionDispatcher, WriteEvent } from './types.ts';
