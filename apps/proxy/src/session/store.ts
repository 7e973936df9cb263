/**
 * Server-side sessions: a random 256-bit id per sign-in (never reused, so a session id planted before sign-in is
 * worthless), an idle timeout and an absolute lifetime, and deletion at sign-out. The interface is asynchronous so the
 * same code runs on the in-memory store (one instance, `pnpm dev`) and on Redis (any number of instances,
 * `store/redis.ts`); both pass the same contract tests (`store/store.contract.test.ts`).
 */
import { randomBytes } from 'node:crypto';
import type { MedplumIdentity } from '../users/store.ts';

export interface Session {
  /** The raw id, known only to this process and (sealed) to the browser; a shared store keeps only its hash. */
  id: string;
  username: string;
  /** The user's Medplum membership, resolved at sign-in. */
  medplum: MedplumIdentity;
  createdAt: number;
  lastSeenAt: number;
}

/** The sessions themselves. */
export interface SessionRecords {
  create(username: string, medplum: MedplumIdentity): Promise<Session>;
  /** The live session, its idle clock restarted; an expired one is deleted and undefined returned. */
  touch(id: string): Promise<Session | undefined>;
  delete(session: Pick<Session, 'id' | 'username'>): Promise<void>;
}

/** Requests per window one session, one user (over all their sessions) and one client address may make. */
export interface RequestBudgets {
  perSession: number;
  perUser: number;
  perAddress: number;
  windowMs: number;
}

export interface OpenedSession {
  session: Session;
  /** Seconds to wait when any of the request's budgets is spent, else 0. */
  wait: number;
}

export interface SessionStore extends SessionRecords {
  /**
   * What every request with a session cookie needs, in one step (one round trip to a shared store): the live session
   * (as `touch`) and one request counted on each of its budgets. Undefined, and nothing counted, without a session.
   */
  open(id: string, address: string): Promise<OpenedSession | undefined>;
}

export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
  /** Live sessions per user name; creating one more ends that user's oldest. */
  maxPerUser: number;
}

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionExpired(session: Session, lifetimes: SessionLifetimes, at: number): boolean {
  return at - session.lastSeenAt >= lifetimes.idleMs || at - session.createdAt >= lifetimes.absoluteMs;
}

/** The in-memory records: this process only, gone at restart. */
export function createMemorySessionRecords(lifetimes: SessionLifetimes, now: () => number): SessionRecords {
  const sessions = new Map<string, Session>();
  const sweep = (at: number) => {
    for (const [id, session] of sessions) if (sessionExpired(session, lifetimes, at)) sessions.delete(id);
  };

  return {
    async create(username, medplum) {
      const at = now();
      if (sessions.size >= 1000) sweep(at);
      // Oldest first (a Map keeps insertion order): a user over the cap loses their oldest sessions.
      const own = [...sessions.values()].filter((session) => session.username === username);
      for (const old of own.slice(0, Math.max(0, own.length - lifetimes.maxPerUser + 1))) sessions.delete(old.id);
      const session: Session = { id: newSessionId(), username, medplum, createdAt: at, lastSeenAt: at };
      sessions.set(session.id, session);
      return { ...session };
    },
    async touch(id) {
      const session = sessions.get(id);
      if (!session) return undefined;
      const at = now();
      if (sessionExpired(session, lifetimes, at)) {
        sessions.delete(id);
        return undefined;
      }
      session.lastSeenAt = at;
      return { ...session };
    },
    async delete(session) {
      sessions.delete(session.id);
    },
  };
}
