import { Suspense } from 'react';
import { SignInPanel } from './sign-in-panel.tsx';

export const metadata = { title: 'Sign in — Medplum web app' };

export default function SignInPage() {
  return (
    <Suspense>
      <SignInPanel />
    </Suspense>
  );
}
