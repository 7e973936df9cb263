'use client';

import { Badge, Text, Timeline, type TimelineItemProps } from '@mantine/core';
import { formatDateTime } from '@medplum/core';
import type { Meta } from '@medplum/fhirtypes';
import { CodeableConceptDisplay } from '@medplum/react';
import type { ReactNode } from 'react';
import { deliveryOutcome } from '../lib/attribution.ts';
import type { Story } from '../lib/story.ts';
import { PatternBadge, WrittenBy } from './attribution-badge.tsx';

/**
 * The story of the newest order, step by step, from the real data: order placed (by whom), webhook delivered
 * (AuditEvents), result posted (by which client), note added (on behalf of whom). A step not reached yet is greyed.
 */
export function StorySequence({ story }: { story: Story }) {
  const steps = [story.placed, story.deliveries.length > 0 ? story.deliveries : undefined, story.result, story.note];
  const reached = steps.filter(Boolean).length;
  return (
    <Timeline active={reached - 1} bulletSize={22} lineWidth={2} data-testid="story">
      <Step title="Order placed" meta={story.placed.meta} testId="story-order">
        <CodeableConceptDisplay value={story.order.code} />
      </Step>
      <Timeline.Item title="Webhook delivered" data-testid="story-delivery">
        {story.deliveries.length === 0 ? (
          <Text size="sm" c="dimmed">
            No delivery recorded yet
          </Text>
        ) : (
          story.deliveries.map((event) => (
            <Text size="sm" key={event.id}>
              <Badge size="xs" variant="light" color={deliveryOutcome(event).ok ? 'green' : 'red'} mr={6}>
                {deliveryOutcome(event).label}
              </Badge>
              {event.outcomeDesc} · {formatDateTime(event.recorded)}
            </Text>
          ))
        )}
      </Timeline.Item>
      <Step title="Result posted" meta={story.result?.meta} testId="story-result" pending={!story.result}>
        {story.result && `DiagnosticReport ${story.result.status}`}
      </Step>
      <Step title="Note added" meta={story.note?.meta} testId="story-note" pending={!story.note}>
        {story.note && `“${story.note.payload?.[0]?.contentString ?? ''}”`}
      </Step>
    </Timeline>
  );
}

interface StepProps extends Omit<TimelineItemProps, 'title' | 'children'> {
  title: string;
  meta: Meta | undefined;
  testId: string;
  pending?: boolean;
  children: ReactNode;
}

/** A Timeline.Item; the other props are the ones Mantine's Timeline gives each child (active, lineActive…). */
function Step({ title, meta, testId, pending, children, ...timelineProps }: StepProps) {
  return (
    <Timeline.Item {...timelineProps} title={title} data-testid={testId}>
      {pending ? (
        <Text size="sm" c="dimmed">
          Not yet
        </Text>
      ) : (
        <>
          <Text size="sm">
            by <WrittenBy meta={meta} /> · {formatDateTime(meta?.lastUpdated)}
          </Text>
          <PatternBadge meta={meta} />
          <Text size="sm">{children}</Text>
        </>
      )}
    </Timeline.Item>
  );
}
