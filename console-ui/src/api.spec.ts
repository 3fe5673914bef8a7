import { describe, expect, it } from 'vitest';
import { apiBase } from './api';

describe('apiBase', () => {
  it('is the api folder beside the page, with or without the trailing slash', () => {
    expect(apiBase('/console/')).toBe('/console/api');
    expect(apiBase('/console')).toBe('/console/api');
    expect(apiBase('/console/index.html')).toBe('/console/api');
    expect(apiBase('/prefix/console/')).toBe('/prefix/console/api');
  });
});
