import { describe, expect, it } from 'vitest';
import {
  assetPath,
  clearedCookie,
  crossSiteProblem,
  deliverySearch,
  hashSecret,
  newSecret,
  readCookie,
  sameSecret,
  sessionCookie,
  sessionState,
} from './console-security.js';

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, under /console, and Secure only when asked', () => {
    expect(sessionCookie('abc', 28_800, false)).toBe(
      'console_session=abc; Path=/console; Max-Age=28800; HttpOnly; SameSite=Strict',
    );
    expect(sessionCookie('abc', 10.7, true)).toMatch(/; Max-Age=10; HttpOnly; SameSite=Strict; Secure$/);
    expect(clearedCookie(true)).toBe('console_session=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict; Secure');
  });

  it('is read from a Cookie header among others, only when its value is plain base64url', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readCookie(`theme=dark; console_session=${secret}; other=1`, 'console_session')).toBe(secret);
    expect(readCookie('console_session=short', 'console_session')).toBeNull();
    expect(readCookie('console_session=a"b;c', 'console_session')).toBeNull();
    expect(readCookie('xconsole_session=' + secret, 'console_session')).toBeNull();
    expect(readCookie(undefined, 'console_session')).toBeNull();
  });

  it('is stored as its SHA-256 and compared in constant time', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sameSecret('token', 'token')).toBe(true);
    expect(sameSecret('token', 'token2')).toBe(false);
    expect(sameSecret(undefined, 'token')).toBe(false);
  });
});

describe('crossSiteProblem', () => {
  const own = 'http://127.0.0.1:3000';
  it('refuses another site by fetch metadata or by a foreign Origin, and lets the own origin and plain clients through', () => {
    expect(crossSiteProblem('cross-site', undefined, own)).toMatch(/another site/);
    expect(crossSiteProblem(undefined, 'https://evil.example', own)).toMatch(/another origin/);
    expect(crossSiteProblem(undefined, 'null', own)).toMatch(/another origin/);
    expect(crossSiteProblem('same-origin', own, own)).toBeNull();
    expect(crossSiteProblem('none', undefined, own)).toBeNull();
    expect(crossSiteProblem(undefined, undefined, own)).toBeNull();
  });
});

describe('sessionState', () => {
  const session = {
    created_at: '2026-01-01T00:00:00.000Z',
    last_seen_at: '2026-01-01T01:00:00.000Z',
    expires_at: '2026-01-01T08:00:00.000Z',
  };
  it('ends a session at its absolute end and after its idle time', () => {
    const hour = 3_600_000;
    expect(sessionState(session, new Date('2026-01-01T01:30:00Z'), hour)).toBe('live');
    expect(sessionState(session, new Date('2026-01-01T02:00:00Z'), hour)).toBe('idle');
    expect(sessionState(session, new Date('2026-01-01T08:00:00Z'), 24 * hour)).toBe('expired');
  });
});

describe('assetPath', () => {
  it('takes plain names of known types below assets/ only', () => {
    expect(assetPath(['app.js'])).toEqual({ path: 'app.js', contentType: 'text/javascript; charset=utf-8' });
    expect(assetPath(['fonts', 'a.woff2'])).toEqual({ path: 'fonts/a.woff2', contentType: 'font/woff2' });
    expect(assetPath(['app.css'])?.contentType).toBe('text/css; charset=utf-8');
    for (const segments of [
      ['..', 'index.html'],
      ['.env'],
      ['a/b.js'],
      ['a\\b.js'],
      ['app.exe'],
      ['app'],
      [],
      ['x', '..', 'app.js'],
    ])
      expect(assetPath(segments), segments.join('|')).toBeNull();
  });
});

describe('deliverySearch', () => {
  it('reads a phone number in any format as its digits, and anything else as a call id', () => {
    expect(deliverySearch('+86 175-3498 9887')).toEqual({ text: '+86 175-3498 9887', digits: '8617534989887' });
    expect(deliverySearch('017534989887')).toEqual({ text: '017534989887', digits: '17534989887' });
    expect(deliverySearch('vf-5f1c2a9e')).toEqual({ text: 'vf-5f1c2a9e', digits: null });
    expect(deliverySearch('12345')).toEqual({ text: '12345', digits: null });
    expect(deliverySearch('  ')).toBeNull();
    expect(deliverySearch(undefined)).toBeNull();
  });
});
