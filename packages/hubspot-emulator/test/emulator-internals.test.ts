import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { searchablePhoneNumber } from '../src/emulator-phone-normalizer.js';
import { RollingWindowCounter } from '../src/emulator-rate-limiter.js';
import { SearchIndex } from '../src/emulator-search-index.js';

describe('searchablePhoneNumber', () => {
  it.each([
    ['+86 175-3498-9887', '17534989887'],
    ['175 3498 9887', '17534989887'],
    ['+1 (415) 555-0100', '4155550100'],
    ['+44 20 7946 0000', '2079460000'],
    ['+971 50 123 4567', '501234567'],
    ['no digits', undefined],
  ])('normalises %s to %s', (raw, expected) => {
    expect(searchablePhoneNumber(raw)).toBe(expected);
  });

  it('keeps only digits, and keeps all of them when there is no leading +', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (raw) => {
        const result = searchablePhoneNumber(raw.replace(/^\s*\+/, ''));
        const digits = raw.replace(/^\s*\+/, '').replace(/\D/g, '');
        expect(result).toBe(digits === '' ? undefined : digits);
      }),
      { numRuns: 200 },
    );
  });

  it('drops at most three leading digits for international numbers', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+\d{4,15}$/), (raw) => {
        const result = searchablePhoneNumber(raw) ?? '';
        const digits = raw.slice(1);
        expect(digits.endsWith(result)).toBe(true);
        expect(digits.length - result.length).toBeLessThanOrEqual(3);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RollingWindowCounter', () => {
  it('never forgets an event before the whole window has passed', () => {
    const counter = new RollingWindowCounter(10_000);
    counter.add(1_005);
    counter.add(4_000);
    expect(counter.count(11_004)).toBe(2);
    expect(counter.count(11_030)).toBe(1);
    expect(counter.count(14_020)).toBe(0);
  });

  it('counts events within any window like an exact sliding window, up to one bucket of delay', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const counter = new RollingWindowCounter(1_000);
        const times: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          counter.add(now);
          times.push(now);
        }
        const exact = times.filter((time) => time > now - 1_000).length;
        const withSlack = times.filter((time) => time > now - 1_002).length;
        const counted = counter.count(now);
        expect(counted).toBeGreaterThanOrEqual(exact);
        expect(counted).toBeLessThanOrEqual(withSlack);
      }),
      { numRuns: 200 },
    );
  });
});

describe('SearchIndex', () => {
  it('answers from the previous snapshot until the lag after the last write has passed', () => {
    const current = new Map<string, Readonly<Record<string, string>>>();
    const index = new SearchIndex(
      (id) => current.get(id),
      () => true,
      100,
    );

    current.set('1', { city: 'Berlin' });
    index.noteWrite('1', 0);
    index.refresh(99);
    expect(index.get('1')).toBeUndefined();
    index.refresh(100);
    expect([...(index.lookup('city', 'berlin') ?? [])]).toEqual(['1']);

    current.set('1', { city: 'Paris' });
    index.noteWrite('1', 150);
    current.set('1', { city: 'Rome' });
    index.noteWrite('1', 200);
    index.refresh(260);
    expect(index.get('1')).toEqual({ city: 'Berlin' });
    index.refresh(300);
    expect(index.get('1')).toEqual({ city: 'Rome' });
    expect([...(index.lookup('city', 'berlin') ?? [])]).toEqual([]);
    expect(index.pendingCount).toBe(0);
  });
});
