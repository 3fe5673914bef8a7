import { describe, expect, it } from 'vitest';
import { isValidTimeZone, parseVendorInstant } from './vendor-time.js';

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
