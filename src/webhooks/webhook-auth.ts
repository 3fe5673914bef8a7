import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a presented secret with the configured one in constant time: both are hashed first, so neither the
 * content nor the length of the secret leaks through timing. A `Bearer ` prefix on either side is ignored.
 */
export function secretMatches(presented: string | undefined | null, expected: string | null): boolean {
  if (expected === null || presented === undefined || presented === null) return false;
  const a = createHash('sha256').update(stripBearer(presented)).digest();
  const b = createHash('sha256').update(stripBearer(expected)).digest();
  return timingSafeEqual(a, b);
}

function stripBearer(value: string): string {
  return value.trim().replace(/^bearer\s+/i, '');
}
