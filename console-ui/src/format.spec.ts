import { describe, expect, it } from 'vitest';
import { detailText, formatAge, formatDuration } from './format';

describe('formats', () => {
  it('says an age in its largest units', () => {
    expect(formatAge(null)).toBe('—');
    expect(formatAge(42)).toBe('42 s');
    expect(formatAge(95)).toBe('1 min 35 s');
    expect(formatAge(7260)).toBe('2 h 1 min');
    expect(formatAge(3 * 86_400 + 3600)).toBe('3 d 1 h');
  });

  it('says a call duration as a clock', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(125_000)).toBe('2:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
  });

  it("says an audit entry's detail as key: value pairs, lists as JSON, nothing as a dash", () => {
    expect(detailText({ ok: true, version: 4, problems: 0 })).toBe('ok: true, version: 4, problems: 0');
    expect(detailText({ reason: 'wrong token' })).toBe('reason: wrong token');
    expect(detailText({ by: 'ids', ids: [3, 5] })).toBe('by: ids, ids: [3,5]');
    expect(detailText({})).toBe('—');
  });
});
