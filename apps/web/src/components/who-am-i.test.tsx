import { MantineProvider } from '@mantine/core';
import { MockClient } from '@medplum/mock';
import { MedplumProvider } from '@medplum/react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { describeToken, formatRemaining, WhoAmI } from './who-am-i.tsx';

function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.signature`;
}

describe('describeToken', () => {
  it('reads scopes, expiry and client from the access token claims', () => {
    const facts = describeToken(
      fakeJwt({ scope: 'openid offline_access', exp: 1_800_000_000, client_id: 'web-client' }),
      'refresh'
    );
    expect(facts).toEqual({
      scopes: ['openid', 'offline_access'],
      expiresAt: new Date(1_800_000_000_000),
      clientId: 'web-client',
      hasRefreshToken: true,
    });
  });

  it('copes with no token and with a token that is not a JWT', () => {
    expect(describeToken(undefined, undefined)).toEqual({ scopes: [], hasRefreshToken: false });
    expect(describeToken('opaque', undefined)).toEqual({ scopes: [], hasRefreshToken: false });
  });
});

describe('formatRemaining', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('counts down, then says the next request refreshes', () => {
    expect(formatRemaining(new Date(now + 42_000), now)).toBe('in 42 s');
    expect(formatRemaining(new Date(now + 600_000), now)).toBe('in 10 min');
    expect(formatRemaining(new Date(now - 3_000), now)).toBe('expired 3 s ago (refreshed on the next request)');
    expect(formatRemaining(undefined, now)).toBe('unknown');
  });
});

describe('<WhoAmI> with @medplum/mock', () => {
  it("renders the signed-in user's profile and project", async () => {
    const medplum = new MockClient();
    await medplum.getProfileAsync();
    const html = renderToString(
      <MantineProvider>
        <MedplumProvider medplum={medplum}>
          <WhoAmI />
        </MedplumProvider>
      </MantineProvider>
    );
    expect(html).toContain('Who am I');
    expect(html).toContain('Alice Smith');
    expect(html).toContain(`Practitioner/${medplum.getProfile()?.id}`);
  });
});
