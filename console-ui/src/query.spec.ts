import { describe, expect, it } from 'vitest';
import { dayStart, deliveriesQuery, NO_FILTERS } from './query';

describe('deliveriesQuery', () => {
  it('sends only the filters given, days as local-midnight instants, the last day included', () => {
    const query = new URLSearchParams(
      deliveriesQuery(
        { vendor: ' retell ', status: 'dead', from: '2026-01-05', to: '2026-01-06', q: ' +86 175 ' },
        120,
        50,
      ),
    );
    expect(Object.fromEntries(query)).toEqual({
      vendor: 'retell',
      status: 'dead',
      from: new Date(2026, 0, 5).toISOString(),
      to: new Date(2026, 0, 7).toISOString(),
      q: '+86 175',
      before: '120',
      limit: '50',
    });
    expect(deliveriesQuery(NO_FILTERS, null, 50)).toBe('limit=50');
  });

  it('ignores a day that is not YYYY-MM-DD', () => {
    expect(dayStart('')).toBeNull();
    expect(dayStart('05/01/2026')).toBeNull();
    expect(dayStart('2026-12-31', 1)).toBe(new Date(2027, 0, 1).toISOString());
  });
});
