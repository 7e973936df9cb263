'use client';

import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { normalizeErrorString } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { ResourceName, useMedplum, useResource } from '@medplum/react';
import Link from 'next/link';
import { useParams } from 'next/navigation';
import { useCallback, useEffect, useState } from 'react';
import { ActivityTimeline } from '../../../../../components/activity-timeline.tsx';
import { StorySequence } from '../../../../../components/story-sequence.tsx';
import { type ActivityItem, loadActivity } from '../../../../../lib/activity.ts';
import { storyOf } from '../../../../../lib/story.ts';

/** Who did what for one patient: the story of the newest order, then every version and delivery. */
export function ActivityView() {
  const { id } = useParams<{ id: string }>();
  const medplum = useMedplum();
  const patient = useResource<Patient>({ reference: `Patient/${id}` });
  const [items, setItems] = useState<ActivityItem[]>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);

  const reload = useCallback(async () => {
    if (!patient) return;
    setLoading(true);
    try {
      setItems(await loadActivity(medplum, patient));
      setError(undefined);
    } catch (err) {
      setError(normalizeErrorString(err));
    } finally {
      setLoading(false);
    }
  }, [medplum, patient]);

  useEffect(() => {
    reload().catch(() => undefined);
  }, [reload]);

  if (!patient) {
    return <Loader size="sm" />;
  }
  const story = items && storyOf(items);
  return (
    <Stack maw={960}>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Activity · <ResourceName value={patient} />
        </Title>
        <Group>
          <Anchor component={Link} href={`/patients/${id}`}>
            Back to the patient
          </Anchor>
          <Button variant="default" size="xs" onClick={() => reload()} loading={loading}>
            Refresh
          </Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        Every version of the patient's orders, results and notes, read from each resource's history, and every webhook
        delivery Medplum recorded as an AuditEvent. Each shows the identity Medplum stamped as the author — the
        signed-in user (client side), the device's ClientApplication, or the proxy's ClientApplication on behalf of a
        clinician (server side).
      </Text>
      {error && <Alert color="red">{error}</Alert>}
      {!items ? (
        <Loader size="sm" />
      ) : (
        <>
          <Card withBorder padding="lg">
            <Title order={3} size="h4" mb="sm">
              The newest order's story
            </Title>
            {story ? <StorySequence story={story} /> : <Text c="dimmed">No lab orders yet.</Text>}
          </Card>
          <Card withBorder padding="lg" data-testid="activity">
            <Title order={3} size="h4" mb="sm">
              Every version and delivery, newest first
            </Title>
            {items.length === 0 ? <Text c="dimmed">No activity yet.</Text> : <ActivityTimeline items={items} />}
          </Card>
        </>
      )}
    </Stack>
  );
}
