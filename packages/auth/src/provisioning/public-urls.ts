import type { AuthModelOverrides } from './model/options.ts';

/**
 * Where the apps are reachable, as the auth model needs it: the web app's origins (its ClientApplication's redirect
 * URIs) and the device's base URL (the lab-order Subscription's endpoint and the device client's `jwksUri`). Locally
 * they default to localhost; a real Medplum must be given public URLs, or it will call localhost.
 */
export interface PublicUrlFlags {
  'web-origin'?: string[];
  'device-url'?: string;
}

/** The device's endpoints under its base URL (apps/device serves both). */
export function deviceEndpoints(baseUrl: string): { webhookUrl: string; jwksUri: string } {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return {
    webhookUrl: new URL('webhooks/medplum', base).toString(),
    jwksUri: new URL('.well-known/jwks.json', base).toString(),
  };
}

/** `--web-origin` (repeatable) and `--device-url` as overrides of the model's options. */
export function publicUrlOptions(flags: PublicUrlFlags): AuthModelOverrides {
  const options: AuthModelOverrides = {};
  if (flags['web-origin']?.length) {
    const origins = flags['web-origin'].map((value) => {
      const url = parseHttpUrl(value, '--web-origin');
      if (url.origin !== value.replace(/\/$/, '')) {
        throw new Error(`--web-origin takes an origin such as https://app.example.org (no path), got ${value}`);
      }
      return url.origin;
    });
    options.web = { origins };
  }
  if (flags['device-url']) {
    const { webhookUrl, jwksUri } = deviceEndpoints(parseHttpUrl(flags['device-url'], '--device-url').toString());
    options.device = { jwksUri, webhook: { url: webhookUrl } };
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
