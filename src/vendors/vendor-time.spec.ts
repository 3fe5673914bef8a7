import { describe, expect, it } from 'vitest';
import { compilePattern, isValidTimeZone, parseInstantAs, parseVendorInstant } from './vendor-time.js';

describe('parseVendorInstant', () => {
  it('reads a naive China time as UTC+8', () => {
    expect(parseVendorInstant('2025-09-25 21:39:55', 'Asia/Shanghai')).toBe('2025-09-25T13:39:55.000Z');
  });

  it('crosses midnight back into the previous UTC day', () => {
    expect(parseVendorInstant('2025-09-26 03:00:00', 'Asia/Shanghai')).toBe('2025-09-25T19:00:00.000Z');
  });

  it('reads ISO 8601 with an offset or Z as the instant it names, whatever the zone setting', () => {
    expect(parseVendorInstant('2025-09-26T10:00:05+08:00', 'America/New_York')).toBe('2025-09-26T02:00:05.000Z');
    expect(parseVendorInstant('2025-09-26T02:02:11Z', 'Asia/Shanghai')).toBe('2025-09-26T02:02:11.000Z');
  });

  it('reads ISO 8601 without an offset in the configured zone', () => {
    expect(parseVendorInstant('2025-09-25T21:39:55', 'Asia/Shanghai')).toBe('2025-09-25T13:39:55.000Z');
  });

  it('applies daylight saving time of the configured zone', () => {
    expect(parseVendorInstant('2025-07-01 12:00:00', 'America/New_York')).toBe('2025-07-01T16:00:00.000Z');
    expect(parseVendorInstant('2025-01-15 12:00:00', 'America/New_York')).toBe('2025-01-15T17:00:00.000Z');
  });

  it('reads epoch seconds and milliseconds', () => {
    expect(parseVendorInstant(1758807595, 'Asia/Shanghai')).toBe('2025-09-25T13:39:55.000Z');
    expect(parseVendorInstant(1758807595000, 'Asia/Shanghai')).toBe('2025-09-25T13:39:55.000Z');
    expect(parseVendorInstant('1758807595', 'Asia/Shanghai')).toBe('2025-09-25T13:39:55.000Z');
  });

  it('answers null for empty text, placeholders and impossible dates', () => {
    for (const value of [
      '',
      '   ',
      '通话开始时间',
      '2025-02-30 10:00:00',
      '2025-09-25 25:00:00',
      null,
      undefined,
      {},
      -5,
    ]) {
      expect(parseVendorInstant(value, 'Asia/Shanghai')).toBeNull();
    }
  });

  it('knows IANA zones from made-up ones', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('parseInstantAs (times of a vendor defined in the mapping)', () => {
  it('reads each stated format, and only that format', () => {
    expect(parseInstantAs('2026-03-10T17:00:02.118Z', 'iso', 'UTC')).toBe('2026-03-10T17:00:02.118Z');
    expect(parseInstantAs('2026-03-10T12:00:02-05:00', 'iso', 'Asia/Shanghai')).toBe('2026-03-10T17:00:02.000Z');
    expect(parseInstantAs('2026-03-10 12:00:02', 'iso', 'America/New_York')).toBe('2026-03-10T16:00:02.000Z');
    expect(parseInstantAs('1773162002', 'iso', 'UTC')).toBeNull();
    expect(parseInstantAs(1773162002, 'epoch-s', 'UTC')).toBe('2026-03-10T17:00:02.000Z');
    expect(parseInstantAs('1773162002.5', 'epoch-s', 'UTC')).toBe('2026-03-10T17:00:02.500Z');
    // The same number as milliseconds is January 1970: the format says which, never its size.
    expect(parseInstantAs(1773162002, 'epoch-ms', 'UTC')).toBe('1970-01-21T12:32:42.002Z');
    expect(parseInstantAs('1773162002118', 'epoch-ms', 'UTC')).toBe('2026-03-10T17:00:02.118Z');
    expect(parseInstantAs('2026-03-10T17:00:02Z', 'epoch-s', 'UTC')).toBeNull();
  });

  it('reads a pattern in the zone, and refuses text that does not fit it or a day that does not exist', () => {
    expect(parseInstantAs('10/03/2026 18:00', { pattern: 'dd/MM/yyyy HH:mm' }, 'Europe/Berlin')).toBe(
      '2026-03-10T17:00:00.000Z',
    );
    expect(parseInstantAs('2026.3.9 7:05:09.25', { pattern: 'yyyy.M.d H:mm:ss.SSS' }, 'UTC')).toBe(
      '2026-03-09T07:05:09.250Z',
    );
    expect(parseInstantAs('2026-03-10 18:00', { pattern: 'dd/MM/yyyy HH:mm' }, 'UTC')).toBeNull();
    expect(parseInstantAs('31/02/2026 10:00', { pattern: 'dd/MM/yyyy HH:mm' }, 'UTC')).toBeNull();
  });

  it('names what is wrong with a pattern', () => {
    expect(compilePattern('dd/MM/yyyy hh:mm')).toEqual({
      problem: '"h" is not a pattern letter (yyyy MM M dd d HH H mm ss SSS)',
    });
    expect(compilePattern('HH:mm')).toEqual({ problem: 'needs the year, month and day (yyyy, MM, dd)' });
    expect(compilePattern('yyyy-MM-dd d')).toEqual({ problem: 'names the day twice' });
  });
});
