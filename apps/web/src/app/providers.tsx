'use client';

import { createTheme, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { MedplumProvider } from '@medplum/react';
import { useRouter } from 'next/navigation';
import type { ReactNode } from 'react';
import { getAuth } from '../lib/medplum.ts';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md' });

export function Providers({ children }: { children: ReactNode }) {
  const router = useRouter();
  const { medplum } = getAuth();
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="top-right" />
      <MedplumProvider medplum={medplum} navigate={(path) => router.push(path)}>
        {children}
      </MedplumProvider>
    </MantineProvider>
  );
}
