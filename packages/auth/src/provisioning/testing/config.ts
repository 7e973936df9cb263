import { devAuthModelOptions } from '../cli-env.ts';
import type { AuthModelOptions } from '../model/options.ts';

/** The dev model's options: @org/config's defaults, no environment, no env files. */
export const DEV_OPTIONS: AuthModelOptions = devAuthModelOptions();
