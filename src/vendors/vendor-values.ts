/** Readers for loosely typed vendor fields: numbers that arrive as text, placeholders that mean "unknown". */

import { ownValue } from '../common/own-value.js';

/** Values vendors put where they know nothing. Compared after trimming, case-insensitively. */
const PLACEHOLDERS = new Set([
  '',
  '未知',
  '无',
  '暂无',
  '-',
  '--',
  'unknown',
  'n/a',
  'na',
  'null',
  'undefined',
  'none',
]);

/** Text for a scalar field, or null for absent values and placeholders such as "未知". */
export function presentText(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return PLACEHOLDERS.has(text.toLowerCase()) ? null : text;
}

/** A finite number from a number or numeric text; null otherwise. */
export function numberOrNull(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/**
 * `numberOrNull`, with a warning when the value was a number too big to hold (`1e400`, a 400-digit integer): it is
 * left out of the call instead of costing the call.
 */
export function finiteOrWarn(value: unknown, field: string, warnings: string[]): number | null {
  const number = numberOrNull(value);
  const overflowed =
    (typeof value === 'number' && !Number.isFinite(value)) ||
    (typeof value === 'string' &&
      value.trim() !== '' &&
      !Number.isFinite(Number(value.trim())) &&
      /^[+-]?[\d.]/.test(value.trim()));
  if (number === null && overflowed) warnings.push(`${field}: a number too large to hold, left out`);
  return number;
}

export function booleanOrNull(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return null;
}

/**
 * A recording URL as an absolute URL: `https://` is added where the vendor omitted the scheme
 * (`hw.example.top/api/download?key=…`). Text that is not a URL with a dotted host gives null.
 */
export function absoluteUrl(value: unknown): string | null {
  const text = presentText(value);
  if (text === null || /\s/.test(text)) return null;
  const withScheme = /^[a-z][a-z\d+.-]*:\/\//i.test(text) ? text : `https://${text.replace(/^\/\//, '')}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (!url.hostname.includes('.') && url.hostname !== 'localhost') return null;
    return url.toString();
  } catch {
    return null;
  }
}

/** Distinct non-placeholder texts, in first-seen order. */
export function distinctTexts(values: Iterable<unknown>): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    const text = presentText(value);
    if (text !== null) seen.add(text);
  }
  return [...seen];
}

/** The first of `keys` whose value in `source` is present text (see `presentText`), or null. */
export function firstPresent(source: Record<string, unknown>, keys: string[]): string | null {
  for (const key of keys) {
    const text = presentText(ownValue(source, key));
    if (text !== null) return text;
  }
  return null;
}

/** A JSON object: not null, not a list. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
