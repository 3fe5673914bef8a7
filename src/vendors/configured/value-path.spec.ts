import { describe, expect, it } from 'vitest';
import { formatValuePath, parseValuePath, readPath } from './value-path.js';

const segments = (text: string) => {
  const parsed = parseValuePath(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.segments;
};

describe('paths into a vendor payload', () => {
  it('reads keys, list indexes and quoted keys, and writes them back the same way', () => {
    expect(segments('call_id')).toEqual(['call_id']);
    expect(segments('message.call.customer.number')).toEqual(['message', 'call', 'customer', 'number']);
    expect(segments('messages[2].text')).toEqual(['messages', 2, 'text']);
    expect(segments('variables["lead.source"].value')).toEqual(['variables', 'lead.source', 'value']);
    for (const text of ['message.call.id', 'messages[2].text', 'variables["lead.source"].value', 'a[0][1]'])
      expect(formatValuePath(segments(text))).toBe(text);
  });

  it.each([
    ['', 'is empty'],
    ['call.', 'has a dot that is not followed by a key'],
    ['call..id', 'has a dot that is not followed by a key'],
    ['call id', 'is not a path such as call.id, messages[0].text or variables["lead.source"] (at " id")'],
    ['items[-1]', 'is not a path such as call.id, messages[0].text or variables["lead.source"] (at "[-1]")'],
    ['items[*].id', 'is not a path such as call.id, messages[0].text or variables["lead.source"] (at "[*].id")'],
    [Array.from({ length: 17 }, () => 'a').join('.'), 'must have at most 16 parts'],
  ])('refuses %j: %s', (text, problem) => {
    expect(parseValuePath(text)).toEqual({ problem });
  });

  it("finds own values only: absent keys, short lists and the prototype's members are nothing", () => {
    const body = JSON.parse('{"call":{"id":"c1","tags":["a","b"]},"__proto__":{"polluted":1}}') as unknown;
    expect(readPath(body, ['call', 'id'])).toBe('c1');
    expect(readPath(body, ['call', 'tags', 1])).toBe('b');
    expect(readPath(body, ['call', 'tags', 2])).toBeUndefined();
    expect(readPath(body, ['call', 'missing', 'deeper'])).toBeUndefined();
    expect(readPath(body, ['call', 'constructor'])).toBeUndefined();
    expect(readPath(body, ['call', 'tags', 'length'])).toBeUndefined();
    expect(readPath(body, ['__proto__', 'polluted'])).toBe(1);
    expect(readPath({}, ['polluted'])).toBeUndefined();
  });
});
