import { describe, expect, it } from 'vitest';
import { countStatuses, EVENTS_PER_POLL, nextToPoll } from './replay-state';

describe('following a replay', () => {
  it('asks only about unsettled events, a bounded slice per poll, taking turns', () => {
    const ids = Array.from({ length: 50 }, (_, index) => index + 1);
    const statuses = new Map<number, string>([
      [1, 'synced'],
      [2, 'dead'],
      [3, 'skipped'],
      [4, 'retrying'],
    ]);
    const first = nextToPoll(ids, statuses, 0);
    expect(first).toHaveLength(EVENTS_PER_POLL);
    expect(first).not.toContain(1);
    expect(first).toContain(4);
    const seen = new Set([...first, ...nextToPoll(ids, statuses, 1), ...nextToPoll(ids, statuses, 2)]);
    expect(seen.size).toBe(47);
    expect(nextToPoll([1, 2, 3], statuses, 0)).toEqual([]);
  });

  it('counts the events by where they are', () => {
    const statuses = new Map<number, string>([
      [1, 'synced'],
      [2, 'retrying'],
      [3, 'dead'],
      [4, 'pending'],
    ]);
    expect(countStatuses([1, 2, 3, 4, 5], statuses)).toEqual({
      synced: 1,
      retrying: 1,
      dead: 1,
      skipped: 0,
      waiting: 2,
    });
  });
});
