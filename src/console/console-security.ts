import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ownValue } from '../common/own-value.js';

/**
 * The operator console's security helpers, pure: the session cookie, the cross-site checks, when a session has ended,
 * the headers every console answer carries.
 */

export const SESSION_COOKIE = 'console_session';
/** The console's pages and API live under this path; the cookie is sent nowhere else. */
export const CONSOLE_PATH = '/console';

/**
 * The console's content security policy (docs/console-api contract): its own scripts, styles and API only, nothing
 * inline, no framing; recordings may play from any https host (a vendor's or HubSpot's).
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self' https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers on every console answer, its pages and its API alike. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** A new random secret: 32 bytes, base64url (43 characters), for a session or a CSRF token. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** How a secret is stored and found: its SHA-256 (hex). The secret itself is never stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Two texts compared in constant time (their hashes are: neither the content nor the length leaks). */
export function sameSecret(presented: string | undefined | null, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(
    createHash('sha256').update(presented).digest(),
    createHash('sha256').update(expected).digest(),
  );
}

/** A cookie's value from a `Cookie` header, or null. Only a value of base64url characters is taken. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    const value = part.slice(at + 1).trim();
    return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : null;
  }
  return null;
}

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), only under
 * `/console`, `Secure` when the request came over HTTPS (directly, or as a trusted proxy says).
 */
export function sessionCookie(secret: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${secret}; Path=${CONSOLE_PATH}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The cookie cleared (sign-out, an ended session). */
export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=${CONSOLE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/**
 * Why a state-changing request is refused as cross-site, or null: the browser says it came from another site
 * (`Sec-Fetch-Site: cross-site`), or it names an origin (`Origin`) other than the request's own. A request without
 * either (a command-line client) is judged by its CSRF token alone.
 */
export function crossSiteProblem(
  secFetchSite: string | undefined,
  origin: string | undefined,
  ownOrigin: string,
): string | null {
  if (secFetchSite?.trim().toLowerCase() === 'cross-site') return 'the request came from another site';
  if (origin !== undefined && origin.trim().toLowerCase() !== ownOrigin.toLowerCase())
    return 'the request came from another origin';
  return null;
}

export interface SessionTimes {
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** `live`, or why a session has ended: past its absolute end, or idle longer than `idleMs`. */
export function sessionState(session: SessionTimes, now: Date, idleMs: number): 'live' | 'expired' | 'idle' {
  const at = now.getTime();
  if (Date.parse(session.expires_at) <= at) return 'expired';
  if (Date.parse(session.last_seen_at) + idleMs <= at) return 'idle';
  return 'live';
}

/** Content types of the built console's files, by extension; other files are not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The path of a file under the built console's `assets/` from the URL's segments, or null when it is not one that may
 * be served: every segment plain (letters, digits, `.`, `_`, `-`; not starting with a dot, so no `..` and no hidden
 * file), of a known type. Decoded segments only: an encoded `/` or `\` in one is refused too.
 */
export function assetPath(segments: readonly string[]): { path: string; contentType: string } | null {
  if (segments.length === 0 || segments.length > 8) return null;
  if (!segments.every((segment) => /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(segment))) return null;
  const name = segments[segments.length - 1]!;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot).toLowerCase() : '';
  const contentType = ownValue(CONTENT_TYPES, extension);
  return contentType ? { path: segments.join('/'), contentType } : null;
}

/**
 * What a deliveries search `q` looks for: a vendor call id as typed, and, when it reads as a phone number (any format:
 * seven to fifteen digits with only a phone number's separators), its digits (without a leading trunk or
 * international `0`). Null when empty.
 */
export function deliverySearch(q: string | undefined): { text: string; digits: string | null } | null {
  const text = q?.trim() ?? '';
  if (text === '') return null;
  const digits = text.replace(/\D/g, '').replace(/^0+/, '');
  const phone = /^\+?[\d\s().-]+$/.test(text) && digits.length >= 7 && digits.length <= 15;
  return { text, digits: phone ? digits : null };
}
