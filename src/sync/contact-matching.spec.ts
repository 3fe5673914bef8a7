import { describe, expect, it } from 'vitest';
import { nationalVariants } from './contact-matching.js';

describe('nationalVariants (what HubSpot search is asked for)', () => {
  it('asks for a mobile number once, and a landline with and without its trunk 0', () => {
    expect(nationalVariants('+8617534989887')).toEqual(['17534989887']);
    expect(nationalVariants('+862161234567')).toEqual(['2161234567', '02161234567']);
    // +1 numbers have no 0 trunk prefix (theirs is 1): the national number alone.
    expect(nationalVariants('+16502530001')).toEqual(['6502530001']);
    expect(nationalVariants('+442079460000')).toEqual(['2079460000', '02079460000']);
  });
});
