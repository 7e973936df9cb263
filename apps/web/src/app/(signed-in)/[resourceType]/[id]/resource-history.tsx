'use client';

import { Card, Stack, Text, Title } from '@mantine/core';
import { ResourceHistoryTable } from '@medplum/react';
import { useParams } from 'next/navigation';

/** A resource's every version with its author and on-behalf-of user: @medplum/react's ResourceHistoryTable. */
export function ResourceHistory() {
  const { resourceType, id } = useParams<{ resourceType: string; id: string }>();
  // The type's shape only: the history read itself answers for a type Medplum does not know.
  if (!/^[A-Z][A-Za-z]{1,63}$/.test(resourceType)) {
    return <Text c="red">Not a FHIR resource type: {resourceType}</Text>;
  }
  return (
    <Stack maw={960}>
      <Title order={2} size="h3">
        History of {resourceType}
      </Title>
      <Text size="sm" c="dimmed">
        Each version as Medplum stored it: <code>meta.author</code> (who called Medplum) and{' '}
        <code>meta.onBehalfOf</code> (the user a confidential client acted for).
      </Text>
      <Card withBorder padding="lg" data-testid="resource-history">
        <ResourceHistoryTable key={`${resourceType}/${id}`} resourceType={resourceType} id={id} />
      </Card>
    </Stack>
  );
}
