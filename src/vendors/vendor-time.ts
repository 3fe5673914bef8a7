/**
 * Reads the instants vendors send: naive local times (`2025-09-25 21:39:55`, read in the vendor's configured zone),
 * ISO 8601 with or without an offset, and epoch seconds or milliseconds. Answers ISO 8601 UTC, or null for text that
 * is not a time (empty, a placeholder), so that one odd field never loses a call.
 */

const NAIVE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
/** Epoch values below this are seconds, above it milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const EPOCH_MS_THRESHOLD = 1e11;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC, in ms, at the given instant. */
function zoneOffsetMs(epochMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Epoch ms of a wall-clock time in a zone (two passes, so that instants next to a DST change come out right). */
function zonedWallTimeToEpoch(wallAsUtc: number, timeZone: string): number {
  let epoch = wallAsUtc - zoneOffsetMs(wallAsUtc, timeZone);
  epoch = wallAsUtc - zoneOffsetMs(epoch, timeZone);
  return epoch;
}

export function parseVendorInstant(value: unknown, timeZone: string): string | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return null;
    const ms = value < EPOCH_MS_THRESHOLD ? value * 1000 : value;
    return toIso(ms);
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  if (/^\d{10}(\d{3})?$/.test(text)) return parseVendorInstant(Number(text), timeZone);
  if (ZONED.test(text)) return toIso(Date.parse(text));

  const match = NAIVE.exec(text);
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '0'] = match;
  return wallTimeToIso(
    {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h),
      minute: Number(mi),
      second: Number(s),
      millis: Math.floor(Number(`0.${fraction}`) * 1000),
    },
    timeZone,
  );
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
}

/** A wall-clock time in a zone as ISO 8601 UTC; null for a time that does not exist on the calendar. */
function wallTimeToIso({ year, month, day, hour, minute, second, millis }: WallTime, timeZone: string): string | null {
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls 2025-02-30 over to March; a time that does not exist on the calendar is not a time.
  // Date.UTC also reads the years 0–99 as 1900–1999.
  const check = new Date(wallAsUtc);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return null;
  }
  return toIso(zonedWallTimeToEpoch(wallAsUtc, timeZone));
}

/** The instants taken: from 1970 (HubSpot's epoch-ms values are not negative) to the end of 9999 (ISO 8601's four digits). */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function toIso(epochMs: number): string | null {
  if (!Number.isFinite(epochMs) || epochMs < 0 || epochMs > LATEST_MS) return null;
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** How a configured vendor's time field is written (see `ConfiguredVendorSpec`). */
export type InstantFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms' | { pattern: string };

const NUMERIC = /^\d{1,16}(\.\d{1,9})?$/;

/**
 * Reads an instant in a stated format: `iso` (with an offset, or a local time read in the zone), epoch seconds or
 * milliseconds (a number or its text), or a pattern such as `yyyy-MM-dd HH:mm:ss` (read in the zone); `auto` is
 * `parseVendorInstant`. Null for a value that is not such a time.
 */
export function parseInstantAs(value: unknown, format: InstantFormat, timeZone: string): string | null {
  if (format === 'auto') return parseVendorInstant(value, timeZone);
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : null;
  if (text === null || text === '') return null;
  if (format === 'epoch-s' || format === 'epoch-ms') {
    if (!NUMERIC.test(text)) return null;
    const number = Number(text);
    return number > 0 ? toIso(Math.round(format === 'epoch-s' ? number * 1000 : number)) : null;
  }
  if (format === 'iso') {
    if (ZONED.test(text)) return toIso(Date.parse(text));
    return NAIVE.test(text) ? parseVendorInstant(text, timeZone) : null;
  }
  const compiled = compilePattern(format.pattern);
  if ('problem' in compiled) return null;
  const match = compiled.regex.exec(text);
  if (!match) return null;
  const wall: WallTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0, millis: 0 };
  compiled.fields.forEach((field, index) => {
    const digits = match[index + 1]!;
    wall[field] = field === 'millis' ? Math.floor(Number(`0.${digits}`) * 1000) : Number(digits);
  });
  return wallTimeToIso(wall, timeZone);
}

/** The pattern letters taken, longest first: numbers only (month names would need a locale). */
const PATTERN_TOKENS: Array<[string, keyof WallTime, string]> = [
  ['yyyy', 'year', '(\\d{4})'],
  ['SSS', 'millis', '(\\d{1,9})'],
  ['MM', 'month', '(\\d{2})'],
  ['dd', 'day', '(\\d{2})'],
  ['HH', 'hour', '(\\d{2})'],
  ['mm', 'minute', '(\\d{2})'],
  ['ss', 'second', '(\\d{2})'],
  ['M', 'month', '(\\d{1,2})'],
  ['d', 'day', '(\\d{1,2})'],
  ['H', 'hour', '(\\d{1,2})'],
];

const compiledPatterns = new Map<string, { regex: RegExp; fields: Array<keyof WallTime> } | { problem: string }>();

/**
 * A time pattern as a regular expression: `yyyy` `MM` `M` `dd` `d` `HH` `H` `mm` `ss` `SSS`, any other character
 * but a letter taken as itself. Needs the year, month and day; a problem for anything else.
 */
export function compilePattern(
  pattern: string,
): { regex: RegExp; fields: Array<keyof WallTime> } | { problem: string } {
  const cached = compiledPatterns.get(pattern);
  if (cached) return cached;
  let source = '';
  const fields: Array<keyof WallTime> = [];
  let rest = pattern;
  let result: { regex: RegExp; fields: Array<keyof WallTime> } | { problem: string } | null = null;
  while (rest !== '' && result === null) {
    const token = PATTERN_TOKENS.find(([letters]) => rest.startsWith(letters));
    if (token) {
      if (fields.includes(token[1])) result = { problem: `names the ${token[1]} twice` };
      fields.push(token[1]);
      source += token[2];
      rest = rest.slice(token[0].length);
    } else if (/^[A-Za-z]/.test(rest)) {
      result = { problem: `"${rest[0]}" is not a pattern letter (yyyy MM M dd d HH H mm ss SSS)` };
    } else {
      source += rest[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      rest = rest.slice(1);
    }
  }
  if (result === null && !(['year', 'month', 'day'] as const).every((field) => fields.includes(field)))
    result = { problem: 'needs the year, month and day (yyyy, MM, dd)' };
  result ??= { regex: new RegExp(`^${source}$`), fields };
  if (compiledPatterns.size < 100) compiledPatterns.set(pattern, result);
  return result;
}
