import { describe, expect, it } from 'vitest';
import { secretMatches } from './webhook-auth.js';

describe('secretMatches', () => {
  const secret = 'vf-0123456789abcdef';
  it('matches the secret with or without a Bearer prefix on either side', () => {
    expect(secretMatches(secret, secret)).toBe(true);
    expect(secretMatches(`Bearer ${secret}`, secret)).toBe(true);
    expect(secretMatches(`bearer ${secret}`, `Bearer ${secret}`)).toBe(true);
    expect(secretMatches(secret, `Bearer ${secret}`)).toBe(true);
  });

  it('refuses other values, prefixes of the secret, and anything when no secret is configured', () => {
    expect(secretMatches('vf-0123456789abcdeF', secret)).toBe(false);
    expect(secretMatches('vf-0123456789abcde', secret)).toBe(false);
    expect(secretMatches('', secret)).toBe(false);
    expect(secretMatches(undefined, secret)).toBe(false);
    expect(secretMatches(secret, null)).toBe(false);
  });
});
