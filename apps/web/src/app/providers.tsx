'use client';

import { createTheme, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
// The provider's own package (@medplum/react re-exports it): every page needs it, not @medplum/react's components.
import { MedplumProvider } from '@medplum/react-hooks';
import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect } from 'react';
import { getAuth } from '../lib/medplum.ts';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md' });

export function Providers({ children }: { children: ReactNode }) {
  const router = useRouter();
  const { medplum } = getAuth();
  // MedplumProvider reads the profile at its first render and then listens for the client's events, from its own
  // effect. On a full page load the stored login's profile (auth/me) can arrive in between: the event is missed and
  // every page stays "loading" with no profile. Once the listener is attached (a child's effects run first), say
  // "change" when the profile has settled, so the provider reads it again.
  useEffect(() => {
    medplum
      .getProfileAsync()
      .catch(() => undefined)
      .finally(() => medplum.dispatchEvent({ type: 'change' }));
  }, [medplum]);
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="top-right" />
      <MedplumProvider medplum={medplum} navigate={(path) => router.push(path)}>
        {children}
      </MedplumProvider>
    </MantineProvider>
  );
}
