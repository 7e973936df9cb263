'use client';

import { Badge, Group, Stack, Text } from '@mantine/core';
import type { AuditEvent, Reference, Resource } from '@medplum/fhirtypes';
import { CodeableConceptDisplay, MedplumLink, Timeline, TimelineItem } from '@medplum/react';
import type { ActivityItem } from '../lib/activity.ts';
import { deliveredResource, deliveryOutcome } from '../lib/attribution.ts';
import { PatternBadge } from './attribution-badge.tsx';

/** Medplum writes subscription AuditEvents with its system repository: the author is `system`. */
const SYSTEM: Reference = { reference: 'system' };

/**
 * Every version and every delivery as @medplum/react's Timeline: each item's header is Medplum's own "author on
 * behalf of user · time · type" (TimelineItem reads `meta.author`/`meta.onBehalfOf`), the body says what changed and
 * through which pattern.
 */
export function ActivityTimeline({ items }: { items: readonly ActivityItem[] }) {
  return (
    <Timeline>
      {items.map((item) =>
        item.kind === 'version' ? (
          <TimelineItem
            key={`${item.resource.resourceType}/${item.resource.id}/${item.resource.meta?.versionId}`}
            resource={item.resource}
            padding
          >
            <VersionBody item={item} />
          </TimelineItem>
        ) : (
          <TimelineItem
            key={`AuditEvent/${item.event.id}`}
            resource={item.event}
            profile={item.event.meta?.author ?? SYSTEM}
            dateTime={item.at}
            padding
          >
            <DeliveryBody event={item.event} />
          </TimelineItem>
        )
      )}
    </Timeline>
  );
}

function VersionBody({ item }: { item: Extract<ActivityItem, { kind: 'version' }> }) {
  const { resource } = item;
  return (
    <Stack gap={4} data-testid="activity-version" data-type={resource.resourceType}>
      <Group gap="xs">
        <PatternBadge meta={resource.meta} />
        <Text size="sm">
          {item.version === 1 ? 'Created' : 'Updated'} {resource.resourceType} · version {item.version} of{' '}
          {item.versions}
          {'status' in resource && resource.status ? ` · ${resource.status}` : ''}
        </Text>
      </Group>
      <Summary resource={resource} />
      <MedplumLink to={`/${resource.resourceType}/${resource.id}`} size="xs">
        History of {resource.resourceType}
      </MedplumLink>
    </Stack>
  );
}

function Summary({ resource }: { resource: Resource }) {
  if (resource.resourceType === 'Communication') {
    return <Text size="sm">“{resource.payload?.[0]?.contentString ?? ''}”</Text>;
  }
  if ('code' in resource && resource.code && typeof resource.code === 'object' && 'coding' in resource.code) {
    return (
      <Text size="sm" fw={500}>
        <CodeableConceptDisplay value={resource.code} />
      </Text>
    );
  }
  return null;
}

function DeliveryBody({ event }: { event: AuditEvent }) {
  const outcome = deliveryOutcome(event);
  const what = deliveredResource(event);
  return (
    <Stack gap={4} data-testid="activity-delivery" data-outcome={event.outcome}>
      <Group gap="xs">
        <Badge variant="light" color={outcome.ok ? 'green' : 'red'}>
          webhook delivery · {outcome.label}
        </Badge>
        <Text size="sm">{event.outcomeDesc}</Text>
      </Group>
      <Text size="xs" c="dimmed">
        AuditEvent of the lab-order Subscription{' · '}
        {what && (
          <MedplumLink to={what} size="xs">
            history of the order it delivered
          </MedplumLink>
        )}
      </Text>
    </Stack>
  );
}
