import { createHash } from 'node:crypto';
import { ownValue } from './own-value.js';

/**
 * SHA-256 of a JSON value with object keys sorted, so that the same content re-serialised in another key order or
 * spacing has the same digest. Callers bound the nesting depth first (see `assertJsonDepth`).
 */
export function contentDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(ownValue(value as Record<string, unknown>, key))}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of a text exactly as it is (hex): a file's identity, where a changed space is a change. */
export function textDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
