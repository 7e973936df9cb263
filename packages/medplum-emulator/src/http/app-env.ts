import type { Caller } from '../access/authenticate.ts';

/** Hono context variables set by the emulator's middleware. */
export interface AppEnv {
  Variables: { caller: Caller };
}
