'use client';

import { Badge, Card, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { getReferenceString, parseJWTPayload } from '@medplum/core';
import { ResourceAvatar, ResourceName, useMedplum, useMedplumProfile } from '@medplum/react';
import { useEffect, useState } from 'react';

export interface TokenFacts {
  scopes: string[];
  expiresAt?: Date;
  clientId?: string;
  hasRefreshToken: boolean;
}

/** What the browser knows about its own access token: claims only, never the token itself. */
export function describeToken(accessToken: string | undefined, refreshToken: string | undefined): TokenFacts {
  const facts: TokenFacts = { scopes: [], hasRefreshToken: Boolean(refreshToken) };
  if (!accessToken) return facts;
  try {
    const claims = parseJWTPayload(accessToken);
    if (typeof claims.scope === 'string') facts.scopes = claims.scope.split(' ').filter(Boolean);
    if (typeof claims.exp === 'number') facts.expiresAt = new Date(claims.exp * 1000);
    if (typeof claims.client_id === 'string') facts.clientId = claims.client_id;
  } catch {
    // Not a JWT: nothing to show.
  }
  return facts;
}

export function formatRemaining(expiresAt: Date | undefined, now: number): string {
  if (!expiresAt) return 'unknown';
  const seconds = Math.round((expiresAt.getTime() - now) / 1000);
  if (seconds <= 0) return `expired ${-seconds} s ago (refreshed on the next request)`;
  if (seconds < 120) return `in ${seconds} s`;
  return `in ${Math.round(seconds / 60)} min`;
}

export function WhoAmI() {
  const medplum = useMedplum();
  const profile = useMedplumProfile();
  const [now, setNow] = useState(() => Date.now());

  // Re-read the token every second: the SDK swaps it silently when it refreshes.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const project = medplum.getProject();
  const membership = medplum.getProjectMembership();
  const token = describeToken(medplum.getAccessToken(), medplum.getActiveLogin()?.refreshToken);

  return (
    <Card withBorder padding="lg" data-testid="who-am-i">
      <Title order={2} size="h4" mb="sm">
        Who am I
      </Title>
      {profile && (
        <Group mb="md">
          <ResourceAvatar value={profile} radius="xl" />
          <Stack gap={0}>
            <Text fw={600} data-testid="profile-name">
              <ResourceName value={profile} />
            </Text>
            <Text size="sm" c="dimmed">
              {getReferenceString(profile)}
            </Text>
          </Stack>
        </Group>
      )}
      <Table>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th>Project</Table.Th>
            <Table.Td data-testid="project">
              {project?.name ?? '—'} {project?.id && <Code>{project.id}</Code>}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Membership</Table.Th>
            <Table.Td>
              {membership?.id ? <Code>{membership.id}</Code> : '—'} {membership?.admin && <Badge>admin</Badge>}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Scopes</Table.Th>
            <Table.Td data-testid="scopes">
              <Group gap={4}>
                {token.scopes.map((scope) => (
                  <Badge key={scope} variant="light" tt="none">
                    {scope}
                  </Badge>
                ))}
              </Group>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Access token expires</Table.Th>
            <Table.Td data-testid="token-expiry">
              {token.expiresAt
                ? `${token.expiresAt.toLocaleTimeString()} (${formatRemaining(token.expiresAt, now)})`
                : '—'}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Refresh token</Table.Th>
            <Table.Td>{token.hasRefreshToken ? 'yes (offline_access): kept in localStorage' : 'no'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Client</Table.Th>
            <Table.Td>{token.clientId ? <Code>{token.clientId}</Code> : '—'}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
    </Card>
  );
}
