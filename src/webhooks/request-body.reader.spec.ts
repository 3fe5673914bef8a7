import { describe, expect, it } from 'vitest';
import { JsonWidthScanner, MAX_LIST_ITEMS, quoteLongIntegers } from './request-body.reader.js';

/** Feeds a text to a scanner in chunks of `size` bytes; answers whether every list and object stayed within the limit. */
function scan(text: string, maxItems = 3, size = Number.POSITIVE_INFINITY): boolean {
  return wider(text, maxItems, size) === null;
}

function wider(text: string, maxItems = 3, size = Number.POSITIVE_INFINITY): 'list' | 'object' | null {
  const scanner = new JsonWidthScanner(maxItems);
  const bytes = Buffer.from(text);
  for (let start = 0; start < bytes.length; start += Math.min(size, bytes.length)) {
    const found = scanner.feed(bytes.subarray(start, start + Math.min(size, bytes.length)));
    if (found) return found;
  }
  return null;
}

describe('JsonWidthScanner (lists and objects too wide refused before parsing)', () => {
  it('takes lists up to the limit, at any depth, and refuses the first longer one', () => {
    expect(scan('[1,2,3]')).toBe(true);
    expect(scan('[1,2,3,4]')).toBe(false);
    expect(scan('{"a":[1,2,3],"b":{"c":[[1,2],[3,4,5]]}}')).toBe(true);
    expect(scan('{"a":[1,2,3],"b":{"c":[[1,2],[3,4,5,6]]}}')).toBe(false);
    // An object's members are counted on their own: at most as many as a list's items.
    expect(wider('{"a":1,"b":2,"c":3}')).toBeNull();
    expect(wider('{"a":1,"b":2,"c":3,"d":4}')).toBe('object');
    expect(wider('[{"a":1,"b":2,"c":3,"d":4}]')).toBe('object');
    expect(wider('{"a":[1,2,3],"b":{"x":1,"y":2,"z":3},"c":[{"k":[1,2]},{"k":[1,2,3]},{}]}')).toBeNull();
    expect(wider('{"a":[1,2,3],"b":{"x":1,"y":2,"z":3},"c":[{"k":[1,2]},{"k":[1,2,3,4]},{}]}')).toBe('list');
  });

  it('skips brackets and commas inside strings, escaped quotes included, across chunk boundaries', () => {
    const tricky = '["a,b,c,d", "[1,2,3,4]", "quote \\\\\\" , , , inside", {"k":"]]]"}]';
    expect(JSON.parse(tricky)).toHaveLength(4);
    expect(scan(tricky, 4)).toBe(true);
    for (const size of [1, 2, 3, 7]) {
      expect(scan(tricky, 4, size)).toBe(true);
      expect(scan(tricky, 3, size)).toBe(false);
    }
  });

  it('stops at the first chunk that shows a list of 100,000 items, and takes the longest lists vendors send', () => {
    const huge = Buffer.from(JSON.stringify({ data: Array.from({ length: 100_000 }, () => 1) }));
    const scanner = new JsonWidthScanner(MAX_LIST_ITEMS);
    expect(scanner.feed(huge.subarray(0, 4_096))).toBe('list');
    const keys = Buffer.from(
      JSON.stringify({
        event_data: { extra: Object.fromEntries(Array.from({ length: 70_000 }, (_, index) => [`k${index}`, index])) },
      }),
    );
    expect(new JsonWidthScanner(MAX_LIST_ITEMS).feed(keys.subarray(0, 16_384))).toBe('object');
    const largest = JSON.stringify({
      count: 1_000,
      data: Array.from({ length: 1_000 }, (_, index) => ({ callid: `c${index}`, tags: [{ name: 'x' }] })),
    });
    expect(scan(largest, MAX_LIST_ITEMS, 65_536)).toBe(true);
  });
});

describe('quoteLongIntegers (call ids of 19 digits kept exact)', () => {
  it('turns whole numbers of 16 digits or more into text, and leaves strings, fractions and shorter numbers alone', () => {
    expect(
      quoteLongIntegers(
        '{"a":1234567890123456789,"b":"x1234567890123456789","c":-1234567890123456789,"d":1.2345678901234567e5,"e":123456789012345,"f":[9999999999999999]}',
      ),
    ).toBe(
      '{"a":"1234567890123456789","b":"x1234567890123456789","c":"-1234567890123456789","d":1.2345678901234567e5,"e":123456789012345,"f":["9999999999999999"]}',
    );
    expect(JSON.parse(quoteLongIntegers('{"s":"a\\"1234567890123456789","n":12345678901234567}'))).toEqual({
      s: 'a"1234567890123456789',
      n: '12345678901234567',
    });
    // Numbers too large to hold keep their text instead of becoming Infinity (null once stored).
    expect(quoteLongIntegers('{"a":1e400,"b":-2.5E+999,"c":1e300,"d":1.5e-400,"e":"1e400"}')).toBe(
      '{"a":"1e400","b":"-2.5E+999","c":1e300,"d":1.5e-400,"e":"1e400"}',
    );
    const plain = '{"callid":"abc","bill":43}';
    expect(quoteLongIntegers(plain)).toBe(plain);
  });
});
