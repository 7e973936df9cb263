'use client';

import { Alert, Button, Code, Container, Group, Loader, Stack, Text } from '@mantine/core';
import type { CallbackResult } from '@org/auth/browser';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { handleCallbackOnce } from '../../../lib/medplum.ts';

const ERROR_TEXT: Record<string, string> = {
  access_denied: 'The sign-in was cancelled or refused.',
  login_required: 'You need to sign in first.',
  invalid_request: 'Medplum refused the sign-in request.',
  unauthorized_client: 'This app is not allowed to sign in that way.',
  state_mismatch: 'This sign-in was not started from this browser.',
  invalid_grant: 'Medplum refused the authorization code.',
  none: 'This page expects an authorization code from Medplum, and there is none.',
  'login-pending': 'Medplum signed you in but needs you to choose a profile; sign in with email and password.',
};

type Failure = { error: string; description?: string | undefined };

function failureOf(result: CallbackResult): Failure | undefined {
  switch (result.status) {
    case 'signed-in':
      return undefined;
    case 'error':
      return { error: result.error, description: result.description };
    case 'none':
      return { error: 'none' };
    case 'login-pending':
      return { error: 'login-pending', description: `login ${result.login}` };
  }
}

export function Callback() {
  const router = useRouter();
  const [failure, setFailure] = useState<Failure>();

  useEffect(() => {
    let active = true;
    handleCallbackOnce(window.location.search).then(
      (result) => {
        if (!active) return;
        const problem = failureOf(result);
        if (problem) setFailure(problem);
        else router.replace('/dashboard');
      },
      (err: unknown) => active && setFailure({ error: 'error', description: String(err) })
    );
    return () => {
      active = false;
    };
  }, [router]);

  return (
    <Container size={520} py="xl">
      {failure ? (
        <Alert color="red" title="Sign-in failed" role="alert" data-testid="callback-error">
          <Stack gap="xs">
            <Text size="sm">{ERROR_TEXT[failure.error] ?? 'The sign-in could not be completed.'}</Text>
            <Text size="sm">
              <Code>{failure.error}</Code> {failure.description}
            </Text>
            <Group>
              <Button size="xs" onClick={() => router.replace('/signin')}>
                Back to sign in
              </Button>
            </Group>
          </Stack>
        </Alert>
      ) : (
        <Group justify="center" gap="sm">
          <Loader size="sm" />
          <Text>Completing sign-in…</Text>
        </Group>
      )}
    </Container>
  );
}
