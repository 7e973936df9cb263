'use client';

import { Alert, Anchor, Card, Code, Loader, Stack, Text, Title } from '@mantine/core';
import { formatDateTime, normalizeErrorString } from '@medplum/core';
import type { Resource, ResourceType } from '@medplum/fhirtypes';
import { CodeableConceptDisplay, useMedplum } from '@medplum/react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { PatternBadge, WrittenBy } from '../../../../../../components/attribution-badge.tsx';

/** One version of a resource (where ResourceHistoryTable's version links lead): who wrote it, when, and its content. */
export function ResourceVersion() {
  const { resourceType, id, versionId } = useParams<{ resourceType: string; id: string; versionId: string }>();
  const medplum = useMedplum();
  const [resource, setResource] = useState<Resource>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    medplum
      .readVersion(resourceType as ResourceType, id, versionId)
      .then(setResource)
      .catch((err: unknown) => setError(normalizeErrorString(err)));
  }, [medplum, resourceType, id, versionId]);

  if (error) return <Alert color="red">{error}</Alert>;
  if (!resource) return <Loader size="sm" />;
  return (
    <Stack maw={960} data-testid="resource-version">
      <Title order={2} size="h3">
        {resourceType} · one version
      </Title>
      <Text size="sm">
        Written by <WrittenBy meta={resource.meta} /> · {formatDateTime(resource.meta?.lastUpdated)}{' '}
        <PatternBadge meta={resource.meta} />
      </Text>
      <Anchor component={Link} href={`/${resourceType}/${id}`} size="sm">
        Every version of this {resourceType}
      </Anchor>
      <Text size="sm">
        {'status' in resource && resource.status ? `Status ${resource.status}` : ''}
        {'code' in resource && resource.code && typeof resource.code === 'object' && 'coding' in resource.code && (
          <>
            {' · '}
            <CodeableConceptDisplay value={resource.code} />
          </>
        )}
      </Text>
      <Card withBorder padding="sm" component="details">
        <summary>The version as stored (FHIR JSON)</summary>
        <Code block>{JSON.stringify(resource, null, 2)}</Code>
      </Card>
    </Stack>
  );
}
