import { describe, expect, it } from 'vitest';
import { clip, MAX_TEXT } from '../mapping/hubspot-call-mapping.js';
import { isWellFormedText } from './payload-validation.js';
import { sliceWhole } from './text.js';

describe('sliceWhole and clip', () => {
  it('never cut a surrogate pair in two', () => {
    expect(sliceWhole('ab😀c', 3)).toBe('ab');
    expect(sliceWhole('ab😀c', 4)).toBe('ab😀');
    expect(sliceWhole('abc', 5)).toBe('abc');
    const text = `${'x'.repeat(MAX_TEXT - 2)}😀😀`;
    const clipped = clip(text);
    expect(clipped.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(clipped).toBe(`${'x'.repeat(MAX_TEXT - 2)}…`);
    expect(isWellFormedText(clipped)).toBe(true);
  });
});
