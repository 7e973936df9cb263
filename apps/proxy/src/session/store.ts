/**
 * Server-side sessions: a random 256-bit id per sign-in (never reused, so a session id planted before sign-in is
 * worthless), an idle timeout and an absolute lifetime, and deletion at sign-out. In memory: one proxy instance. Several
 * instances behind a load balancer need a shared store (Redis, a database) behind the same interface.
 */
import { randomBytes } from 'node:crypto';
import type { MedplumIdentity } from '../users/store.ts';

export interface Session {
  id: string;
  username: string;
  /** The user's Medplum membership, resolved at sign-in. */
  medplum: MedplumIdentity;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionStore {
  create(username: string, medplum: MedplumIdentity): Session;
  /** The live session, its idle clock restarted; an expired one is deleted and undefined returned. */
  touch(id: string): Session | undefined;
  delete(id: string): void;
}

export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
  /** Live sessions per user name; creating one more ends that user's oldest. */
  maxPerUser: number;
}

export function createSessionStore(lifetimes: SessionLifetimes, now: () => number): SessionStore {
  const sessions = new Map<string, Session>();
  const expired = (session: Session, at: number) =>
    at - session.lastSeenAt >= lifetimes.idleMs || at - session.createdAt >= lifetimes.absoluteMs;
  const sweep = (at: number) => {
    for (const [id, session] of sessions) if (expired(session, at)) sessions.delete(id);
  };

  return {
    create(username, medplum) {
      const at = now();
      if (sessions.size >= 1000) sweep(at);
      // Oldest first (a Map keeps insertion order): a user over the cap loses their oldest sessions.
      const own = [...sessions.values()].filter((session) => session.username === username);
      for (const old of own.slice(0, Math.max(0, own.length - lifetimes.maxPerUser + 1))) sessions.delete(old.id);
      const id = randomBytes(32).toString('base64url');
      const session: Session = { id, username, medplum, createdAt: at, lastSeenAt: at };
      sessions.set(session.id, session);
      return session;
    },
    touch(id) {
      const session = sessions.get(id);
      if (!session) return undefined;
      const at = now();
      if (expired(session, at)) {
        sessions.delete(id);
        return undefined;
      }
      session.lastSeenAt = at;
      return session;
    },
    delete(id) {
      sessions.delete(id);
    },
  };
}
