import { describe, expect, it } from 'vitest';
import { compareProperties, problemsOf } from './compare';

describe('compareProperties', () => {
  it('lists every property either side writes, in-force order first, marking the differences', () => {
    expect(compareProperties({ a: '1', b: '2' }, { b: '3', c: '4', a: '1' })).toEqual([
      { name: 'a', inForce: '1', proposed: '1', changed: false },
      { name: 'b', inForce: '2', proposed: '3', changed: true },
      { name: 'c', inForce: undefined, proposed: '4', changed: true },
    ]);
    expect(compareProperties(null, { a: '1' })).toEqual([
      { name: 'a', inForce: undefined, proposed: '1', changed: true },
    ]);
  });

  it('never reads a property name from Object.prototype', () => {
    expect(compareProperties({}, { constructor: 'x' })).toEqual([
      { name: 'constructor', inForce: undefined, proposed: 'x', changed: true },
    ]);
  });
});

describe('problemsOf', () => {
  const problems = [{ line: 3, path: 'vendors.x', message: 'unknown' }];
  it('finds the problems of a refused save at the top or inside the error', () => {
    expect(problemsOf({ ok: false, problems })).toEqual(problems);
    expect(problemsOf({ error: { code: 'invalid_mapping', message: 'm', problems } })).toEqual(problems);
    expect(problemsOf({ error: { code: 'stale', message: 'm' } })).toBeNull();
    expect(problemsOf(null)).toBeNull();
  });
});
