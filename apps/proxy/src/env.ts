/**
 * The only file of the proxy that reads the environment: the composed schema, validated once at start-up. A bad
 * value prints every problem (never a secret's value) and exits with status 1.
 */
import { loadConfigOrExit } from '@org/config';
import { type ProxyConfig, proxyConfigSchema } from './config.ts';

export function loadProxyConfig(): ProxyConfig {
  return loadConfigOrExit(proxyConfigSchema);
}
