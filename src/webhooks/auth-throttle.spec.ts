import { describe, expect, it } from 'vitest';
import { throttleKey } from './auth-throttle.js';

describe('throttleKey', () => {
  it('counts an IPv4 sender by its address and an IPv6 sender by its /64', () => {
    expect(throttleKey('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(throttleKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttleKey('::1')).toBe('0:0:0:0::/64');
    expect(throttleKey('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(throttleKey('2001:db8:1:2::')).toBe('2001:db8:1:2::/64');
    // Two hosts of one /64 share a count; another /64 does not.
    expect(throttleKey('2001:db8:1:2::a')).toBe(throttleKey('2001:db8:1:2:ffff::b'));
    expect(throttleKey('2001:db8:1:3::a')).not.toBe(throttleKey('2001:db8:1:2::a'));
  });
});
