import type { AuthModelOptions } from './model.ts';

/**
 * Where the apps are reachable, as the auth model needs it: the web app's origins (its ClientApplication's redirect
 * URIs) and the device's base URL (the lab-order Subscription's endpoint and the device client's `jwksUri`). Locally
 * they default to localhost; a real Medplum must be given public URLs, or it will call localhost.
 */
export interface PublicUrlFlags {
  'web-origin'?: string[];
  'device-url'?: string;
}

export function publicUrlOptions(
  flags: PublicUrlFlags
): Pick<AuthModelOptions, 'webOrigins' | 'webhookUrl' | 'deviceJwksUri'> {
  const options: Pick<AuthModelOptions, 'webOrigins' | 'webhookUrl' | 'deviceJwksUri'> = {};
  if (flags['web-origin']?.length) {
    options.webOrigins = flags['web-origin'].map((value) => {
      const url = parseHttpUrl(value, '--web-origin');
      if (url.origin !== value.replace(/\/$/, '')) {
        throw new Error(`--web-origin takes an origin such as https://app.example.org (no path), got ${value}`);
      }
      return url.origin;
    });
  }
  if (flags['device-url']) {
    const base = parseHttpUrl(flags['device-url'], '--device-url');
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    options.webhookUrl = new URL('webhooks/medplum', base).toString();
    options.deviceJwksUri = new URL('.well-known/jwks.json', base).toString();
  }
  return options;
}

function parseHttpUrl(value: string, flag: string): URL {
  if (!URL.canParse(value)) throw new Error(`${flag} takes an http(s) URL, got ${value}`);
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`${flag} takes an http(s) URL, got ${value}`);
  return url;
}
