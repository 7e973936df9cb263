'use client';

import { Anchor, Card, Loader, Text, Title } from '@mantine/core';
import { normalizeErrorString } from '@medplum/core';
import type { Patient } from '@medplum/fhirtypes';
import { useMedplum, useMedplumContext } from '@medplum/react-hooks';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { loadActivity } from '../lib/activity.ts';
import { type Story, storyOf } from '../lib/story.ts';

// Shown only to a signed-in user, and it needs the whole of @medplum/react: loaded when first shown, so the landing
// page's first compile (most of `pnpm dev`'s start) and its first load leave that library out.
const StorySequence = dynamic(() => import('./story-sequence.tsx').then((module) => module.StorySequence), {
  ssr: false,
  loading: () => <Loader size="sm" />,
});

/**
 * The landing page's picture of the story, from the live data: the newest lab order in the project and what followed
 * it. The data needs a signed-in user (the browser holds the tokens), so before sign-in it says how to get there.
 */
export function LiveStory() {
  const medplum = useMedplum();
  const { profile, loading } = useMedplumContext();
  const [mounted, setMounted] = useState(false);
  const [state, setState] = useState<{ story?: Story; patient?: Patient; error?: string; done: boolean }>({
    done: false,
  });

  // Tokens live in localStorage, which the server cannot see: nothing user-specific before the browser has it.
  useEffect(() => setMounted(true), []);
  useEffect(() => {
    if (!profile) return;
    newestStory(medplum)
      .then((found) => setState({ ...found, done: true }))
      .catch((err: unknown) => setState({ error: normalizeErrorString(err), done: true }));
  }, [medplum, profile]);

  return (
    <Card withBorder padding="lg" data-testid="live-story">
      <Title order={2} size="h4" mb="sm">
        The story, live: who did what
      </Title>
      {!mounted || loading ? (
        <Loader size="sm" />
      ) : !profile ? (
        <Text size="sm">
          <Anchor component={Link} href="/signin">
            Sign in
          </Anchor>{' '}
          and order a lab test: this card then shows, from Medplum's own records, who placed the order, each webhook
          delivery, which client posted the result and on whose behalf a note was added.
        </Text>
      ) : !state.done ? (
        <Loader size="sm" />
      ) : state.error ? (
        <Text c="red">{state.error}</Text>
      ) : state.story && state.patient ? (
        <>
          <StorySequence story={state.story} />
          <Anchor component={Link} href={`/patients/${state.patient.id}/activity`} size="sm">
            Every version and delivery for this patient →
          </Anchor>
        </>
      ) : (
        <Text size="sm" c="dimmed">
          No lab order yet: open a patient and order one.
        </Text>
      )}
    </Card>
  );
}

async function newestStory(medplum: ReturnType<typeof useMedplum>): Promise<{ story?: Story; patient?: Patient }> {
  const order = await medplum.searchOne('ServiceRequest', { _sort: '-_lastUpdated' }, { cache: 'no-cache' });
  if (!order?.subject?.reference?.startsWith('Patient/')) return {};
  const patient = await medplum.readReference(order.subject as { reference: `Patient/${string}` });
  const story = storyOf(await loadActivity(medplum, patient as Patient));
  return { ...(story ? { story } : {}), patient: patient as Patient };
}
