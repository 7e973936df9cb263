'use client';

import { Badge, Text } from '@mantine/core';
import type { Meta } from '@medplum/fhirtypes';
import { ResourceName } from '@medplum/react';
import { attributionOf, PATTERN_LABELS, type Pattern } from '../lib/attribution.ts';

const PATTERN_COLORS: Record<Pattern, string> = {
  'client-side': 'indigo',
  'server-side': 'grape',
  device: 'teal',
  system: 'gray',
};

/** The integration pattern a version was written through (what `meta.author`/`onBehalfOf` show). */
export function PatternBadge({ meta }: { meta: Meta | undefined }) {
  const { pattern } = attributionOf(meta);
  return (
    <Badge variant="light" color={PATTERN_COLORS[pattern]} data-testid="pattern" data-pattern={pattern}>
      {PATTERN_LABELS[pattern]}
    </Badge>
  );
}

/** "Name", or "Client on behalf of Name": the identities' names, read from Medplum (no bare references). */
export function WrittenBy({ meta }: { meta: Meta | undefined }) {
  const { author, onBehalfOf } = attributionOf(meta);
  if (!author) {
    return (
      <Text component="span" c="dimmed" data-testid="written-by">
        Medplum (no author recorded)
      </Text>
    );
  }
  return (
    <Text component="span" data-testid="written-by">
      <ResourceName value={author} fw={500} />
      {onBehalfOf && (
        <>
          {' on behalf of '}
          <ResourceName value={onBehalfOf} fw={500} />
        </>
      )}
    </Text>
  );
}
