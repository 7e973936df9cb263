import { createHash, timingSafeEqual } from 'node:crypto';

export interface DirectoryUser {
  email: string;
  password: string;
  name?: string;
  /** The OIDC `sub`; defaults to the lowercased email. */
  subject?: string;
}

export interface AccountClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name?: string;
  [claim: string]: unknown;
}

interface Entry {
  subject: string;
  email: string;
  name: string | undefined;
  passwordDigest: Buffer;
}

/** The IdP's users: look-up by email (case-insensitive) or subject, password check in constant time. */
export interface AccountDirectory {
  /** The subject when email and password match, else undefined. Same work whether or not the email exists. */
  authenticate(email: string, password: string): string | undefined;
  claimsFor(subject: string): AccountClaims | undefined;
}

export function createAccountDirectory(users: DirectoryUser[]): AccountDirectory {
  const byEmail = new Map<string, Entry>();
  const bySubject = new Map<string, Entry>();
  for (const user of users) {
    const key = normaliseEmail(user.email);
    if (!key || !user.password) {
      throw new Error('Identity provider users need an email and a password');
    }
    const subject = user.subject ?? key;
    if (byEmail.has(key) || bySubject.has(subject)) {
      throw new Error('Identity provider users must have distinct emails and subjects');
    }
    const entry: Entry = { subject, email: user.email.trim(), name: user.name, passwordDigest: digest(user.password) };
    byEmail.set(key, entry);
    bySubject.set(subject, entry);
  }
  // Compared against when the email is unknown, so a miss costs what a hit costs.
  const decoy = digest(`decoy:${Math.random()}`);

  return {
    authenticate(email: string, password: string): string | undefined {
      const entry = byEmail.get(normaliseEmail(email));
      const matches = timingSafeEqual(digest(password), entry?.passwordDigest ?? decoy);
      return entry && matches ? entry.subject : undefined;
    },
    claimsFor(subject: string): AccountClaims | undefined {
      const entry = bySubject.get(subject);
      if (!entry) return undefined;
      const claims: AccountClaims = { sub: entry.subject, email: entry.email, email_verified: true };
      if (entry.name) claims.name = entry.name;
      return claims;
    },
  };
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Fixed-length digests let timingSafeEqual compare passwords of any length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
