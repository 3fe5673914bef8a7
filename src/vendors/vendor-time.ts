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
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const millis = Math.floor(Number(`0.${fraction}`) * 1000);
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
