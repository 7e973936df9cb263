'use client';

import { Alert, Anchor, Button, Container, Divider, Paper, Stack, Text, Title } from '@mantine/core';
import { SignInForm, useMedplumContext } from '@medplum/react';
import { DEFAULT_SCOPE, describeAuthError } from '@org/auth/browser';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { env } from '../../env.ts';
import { getAuth } from '../../lib/medplum.ts';

const REASONS: Record<string, { color: string; text: string }> = {
  'signed-out': { color: 'blue', text: 'You are signed out. Your tokens were revoked and removed from this browser.' },
  'session-ended': { color: 'yellow', text: 'Your session ended. Please sign in again.' },
  'sign-in-required': { color: 'blue', text: 'Please sign in to continue.' },
};

export function SignInPanel() {
  const router = useRouter();
  const params = useSearchParams();
  const { profile } = useMedplumContext();
  const [error, setError] = useState<string>();
  const [pending, setPending] = useState<'medplum' | 'sso'>();
  const reason = REASONS[params.get('reason') ?? ''];
  // The stored login is only known in the browser: decide "already signed in" after hydration.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  const start = (which: 'medplum' | 'sso') => {
    setError(undefined);
    setPending(which);
    const auth = getAuth();
    const run = which === 'medplum' ? auth.signInWithRedirect() : auth.signInWithExternalAuth();
    run.catch((err: unknown) => {
      setPending(undefined);
      setError(describeAuthError(err));
    });
  };

  return (
    <Container size={460} py="xl">
      <Stack>
        {reason && (
          <Alert color={reason.color} data-testid="sign-in-reason">
            {reason.text}
          </Alert>
        )}
        {mounted && profile && (
          <Alert color="green">
            You are already signed in. <Anchor href="/dashboard">Go to the dashboard</Anchor>
          </Alert>
        )}
        <Paper withBorder p="lg">
          <SignInForm
            clientId={env.NEXT_PUBLIC_MEDPLUM_CLIENT_ID}
            scope={DEFAULT_SCOPE}
            onSuccess={() => router.push('/dashboard')}
          >
            <Title order={2} ta="center">
              Sign in
            </Title>
            <Text size="sm" c="dimmed" ta="center">
              Email and password (PKCE), straight to Medplum
            </Text>
          </SignInForm>
          <Divider label="or" labelPosition="center" my="md" />
          <Stack gap="sm">
            <Button variant="default" fullWidth loading={pending === 'medplum'} onClick={() => start('medplum')}>
              Continue with Medplum
            </Button>
            <Button variant="default" fullWidth loading={pending === 'sso'} onClick={() => start('sso')}>
              Continue with Acme SSO
            </Button>
          </Stack>
          {error && (
            <Alert color="red" title="Could not start sign-in" mt="md" role="alert">
              {error}
            </Alert>
          )}
        </Paper>
        <Text size="xs" c="dimmed" ta="center">
          <Anchor href="/" size="xs">
            What is this?
          </Anchor>
        </Text>
      </Stack>
    </Container>
  );
}
