import type { ReactNode } from 'react';
import { SignedInShell } from './signed-in-shell.tsx';

export default function SignedInLayout({ children }: { children: ReactNode }) {
  return <SignedInShell>{children}</SignedInShell>;
}
