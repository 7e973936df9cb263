import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@medplum/react/styles.css';
import { ColorSchemeScript, mantineHtmlProps } from '@mantine/core';
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import type { ReactNode } from 'react';
import { Providers } from './providers.tsx';

export const metadata: Metadata = {
  title: 'Medplum reference — web app (client-side pattern)',
  description: 'Pattern 1: the browser talks straight to Medplum with @medplum/react.',
  referrer: 'no-referrer',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The per-request script nonce of the Content-Security-Policy (src/proxy.ts). Reading it renders every page per
  // request, which a nonce requires; Next puts the same nonce on its own scripts.
  const nonce = (await headers()).get('x-nonce') ?? undefined;
  return (
    <html lang="en" {...mantineHtmlProps}>
      <head>
        <ColorSchemeScript defaultColorScheme="light" nonce={nonce} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
