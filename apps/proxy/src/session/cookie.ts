/**
 * The session cookie carries only an opaque session id, encrypted and authenticated with AES-256-GCM under a key
 * derived from PROXY_SESSION_SECRET (HKDF-SHA256). The session itself lives server side (`store.ts`). A version prefix
 * (`v1.`) leaves room for key rotation. A cookie that does not decrypt is treated as no cookie.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { PublicSite } from '../config.ts';

const VERSION = 'v1';

export interface CookieCodec {
  seal(sessionId: string): string;
  open(value: string | undefined): string | undefined;
}

export function createCookieCodec(secret: string): CookieCodec {
  const key = Buffer.from(hkdfSync('sha256', secret, 'org-proxy-session', 'session-cookie v1', 32));
  return {
    seal(sessionId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(sessionId, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    open(value) {
      if (!value?.startsWith(`${VERSION}.`)) return undefined;
      const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64url');
      if (raw.length < 12 + 16 + 1) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export interface SessionCookieSpec {
  name: string;
  secure: boolean;
}

/**
 * Over HTTPS: `__Host-legacy_session`, `Secure`. Over plain HTTP (local dev only) browsers drop `Secure` cookies set
 * by most http origins and reject the `__Host-` prefix without `Secure`, so the cookie is `legacy_session` without
 * `Secure`. Both are `HttpOnly`, `SameSite=Strict`, `Path=/`, no `Domain`.
 */
export function sessionCookieSpec(site: PublicSite): SessionCookieSpec {
  return site.https ? { name: '__Host-legacy_session', secure: true } : { name: 'legacy_session', secure: false };
}

export function serializeSessionCookie(spec: SessionCookieSpec, value: string, maxAgeSeconds: number): string {
  const parts = [`${spec.name}=${value}`, 'Path=/', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, 'HttpOnly'];
  if (spec.secure) parts.push('Secure');
  parts.push('SameSite=Strict');
  return parts.join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
