'use client';

import { Anchor, AppShell, Button, Center, Group, Loader, Text } from '@mantine/core';
import { ResourceAvatar, ResourceName, useMedplumContext } from '@medplum/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useState } from 'react';
import { getAuth, sessionHasEnded } from '../../lib/medplum.ts';

/** Everything under this layout needs a signed-in user; without one the browser goes to /signin. */
export function SignedInShell({ children }: { children: ReactNode }) {
  const router = useRouter();
  const { profile, loading } = useMedplumContext();
  const [mounted, setMounted] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  // Tokens live in localStorage, which the server cannot see: render nothing user-specific until the browser has it.
  useEffect(() => setMounted(true), []);
  useEffect(() => {
    // Signing out and an ended session navigate on their own, each with its own message.
    if (mounted && !loading && !profile && !signingOut && !sessionHasEnded()) {
      router.replace('/signin?reason=sign-in-required');
    }
  }, [mounted, loading, profile, signingOut, router]);

  if (!mounted || loading || !profile) {
    return (
      <Center h="100vh">
        <Loader />
      </Center>
    );
  }

  const onSignOut = () => {
    setSigningOut(true);
    getAuth()
      .signOut()
      .catch(() => undefined)
      .finally(() => router.replace('/signin?reason=signed-out'));
  };

  return (
    <AppShell header={{ height: 56 }} padding="md">
      <AppShell.Header px="md">
        <Group h="100%" justify="space-between">
          <Group gap="lg">
            <Anchor component={Link} href="/" fw={700} c="inherit" underline="never">
              Medplum web app
            </Anchor>
            <Anchor component={Link} href="/dashboard">
              Dashboard
            </Anchor>
            <Anchor component={Link} href="/patients/new">
              New patient
            </Anchor>
          </Group>
          <Group gap="sm">
            <ResourceAvatar value={profile} size="sm" radius="xl" />
            <Text size="sm" data-testid="signed-in-as">
              <ResourceName value={profile} />
            </Text>
            <Button size="xs" variant="default" onClick={onSignOut} loading={signingOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
