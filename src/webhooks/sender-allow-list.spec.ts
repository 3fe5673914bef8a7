import { describe, expect, it } from 'vitest';
import { buildAllowList } from './sender-allow-list.js';

describe('sender allow-list', () => {
  it('builds an allow-list that matches addresses and ranges', () => {
    const list = buildAllowList(['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'])!;
    expect(list.check('203.0.113.200', 'ipv4')).toBe(true);
    expect(list.check('198.51.100.7', 'ipv4')).toBe(true);
    expect(list.check('198.51.100.8', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(buildAllowList([])).toBeNull();
  });
});
