import { Suspense } from 'react';
import { Callback } from './callback.tsx';

export const metadata = { title: 'Signing in — Medplum web app' };

export default function CallbackPage() {
  return (
    <Suspense>
      <Callback />
    </Suspense>
  );
}
