import { describe, expect, it } from 'vitest';
import { normalisePhone } from './phone-number.js';

describe('normalisePhone', () => {
  it.each([
    ['17534989887', '+8617534989887'],
    ['+8617534989887', '+8617534989887'],
    ['+86 175-3498-9887', '+8617534989887'],
    ['175 3498 9887', '+8617534989887'],
    ['8617534989887', '+8617534989887'],
    ['86 150 0000 1111', '+8615000001111'],
    ['008617534989887', '+8617534989887'],
    ['02161234567', '+862161234567'],
  ])('normalises %s to %s with region CN', (raw, e164) => {
    expect(normalisePhone(raw, 'CN')).toEqual({ e164, raw });
  });

  it('reads a number as text when the vendor sends it as a number', () => {
    expect(normalisePhone(17534989887, 'CN')).toEqual({ e164: '+8617534989887', raw: '17534989887' });
  });

  it('keeps numbers of other countries in their own country', () => {
    expect(normalisePhone('+1 415 555 2671', 'CN').e164).toBe('+14155552671');
  });

  it('gives no E.164 for text that is not a valid number, and keeps the raw text', () => {
    expect(normalisePhone('主叫号码', 'CN')).toEqual({ e164: null, raw: '主叫号码' });
    expect(normalisePhone('12345', 'CN')).toEqual({ e164: null, raw: '12345' });
  });

  it('treats empty values and placeholders as absent', () => {
    expect(normalisePhone('', 'CN')).toEqual({ e164: null, raw: null });
    expect(normalisePhone('未知', 'CN')).toEqual({ e164: null, raw: null });
    expect(normalisePhone(null, 'CN')).toEqual({ e164: null, raw: null });
  });
});
