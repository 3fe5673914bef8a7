import { describe, expect, it } from 'vitest';
import { parseHash } from './router';

describe('parseHash', () => {
  it('reads the page, the id and the query of a hash route', () => {
    expect(parseHash('')).toMatchObject({ page: 'overview', id: null });
    expect(parseHash('#/')).toMatchObject({ page: 'overview', id: null });
    expect(parseHash('#/deliveries')).toMatchObject({ page: 'deliveries', id: null });
    expect(parseHash('#/deliveries/123')).toMatchObject({ page: 'deliveries', id: '123' });
    expect(parseHash('#/mapping?event=123').query.get('event')).toBe('123');
    expect(parseHash('#/sign-in?code=a%2Bb').query.get('code')).toBe('a+b');
    expect(parseHash('#/dead-letters')).toMatchObject({ page: 'dead-letters' });
    expect(parseHash('#/audit')).toMatchObject({ page: 'audit', id: null });
  });

  it('finds no page for unknown paths, ids where none belong, or deeper paths', () => {
    expect(parseHash('#/constructor').page).toBe('not-found');
    expect(parseHash('#/main').page).toBe('not-found');
    expect(parseHash('#/mapping/3').page).toBe('not-found');
    expect(parseHash('#/audit/1').page).toBe('not-found');
    expect(parseHash('#/deliveries/1/2').page).toBe('not-found');
  });
});
