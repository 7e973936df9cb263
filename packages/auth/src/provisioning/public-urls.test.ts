import { describe, expect, it } from 'vitest';
import { buildAuthModel, withOverrides } from './model/index.ts';
import { publicUrlOptions } from './public-urls.ts';
import { DEV_OPTIONS } from './testing/config.ts';

describe('publicUrlOptions', () => {
  it('leaves the localhost defaults alone when no flag is given', () => {
    expect(publicUrlOptions({})).toEqual({});
    const model = buildAuthModel(DEV_OPTIONS);
    expect(model.webhookUrl).toBe('http://localhost:3002/webhooks/medplum');
  });

  it('derives the webhook endpoint and the JWKS URL from the device URL, and the redirect URIs from the origins', () => {
    const options = publicUrlOptions({
      'web-origin': ['https://app.clinic.example'],
      'device-url': 'https://analyzer-1.lab.clinic.example/edge',
    });
    expect(options).toEqual({
      web: { origins: ['https://app.clinic.example'] },
      device: {
        webhook: { url: 'https://analyzer-1.lab.clinic.example/edge/webhooks/medplum' },
        jwksUri: 'https://analyzer-1.lab.clinic.example/edge/.well-known/jwks.json',
      },
    });
    const model = buildAuthModel(withOverrides(DEV_OPTIONS, options));
    expect(model.webhookUrl).toBe('https://analyzer-1.lab.clinic.example/edge/webhooks/medplum');
    expect(model.deviceJwksUri).toBe('https://analyzer-1.lab.clinic.example/edge/.well-known/jwks.json');
    expect(model.redirectUris.every((uri) => uri.startsWith('https://app.clinic.example/'))).toBe(true);
  });

  it.each([
    [{ 'web-origin': ['https://app.clinic.example/signin'] }, '--web-origin takes an origin'],
    [{ 'web-origin': ['app.clinic.example'] }, '--web-origin takes an http(s) URL'],
    [{ 'device-url': 'ftp://analyzer' }, '--device-url takes an http(s) URL'],
  ])('refuses %j', (flags, message) => {
    expect(() => publicUrlOptions(flags)).toThrow(message);
  });
});
