import { describe, expect, it } from 'vitest';
import { maskPersonalData, maskPhone } from './personal-data.js';

describe('maskPersonalData', () => {
  it('masks email addresses, well-formed or not, and phone numbers in any format, and leaves the rest', () => {
    expect(maskPersonalData('Email address li.wei@example.com is invalid')).toBe('Email address ***@*** is invalid');
    expect(
      maskPersonalData('Property values were not valid: [{"message":"Email address li.wei@example is invalid"}]'),
    ).toBe('Property values were not valid: [{"message":"Email address ***@*** is invalid"}]');
    expect(maskPersonalData('+86 175-3498-9887 and 17534989887 and (415) 555-0100')).toBe('***87 and ***87 and ***00');
    expect(
      maskPersonalData(
        'HubSpot refused the call: Z was not one of the allowed options: [A, B] (VALIDATION_ERROR, correlation id 1234)',
      ),
    ).toBe(
      'HubSpot refused the call: Z was not one of the allowed options: [A, B] (VALIDATION_ERROR, correlation id 1234)',
    );
    expect(maskPersonalData('(VALIDATION_ERROR, correlation id a89fda7c-d22d-4561-7731-7fa1fbdbafc4)')).toBe(
      '(VALIDATION_ERROR, correlation id a89fda7c-d22d-4561-7731-7fa1fbdbafc4)',
    );
    expect(
      maskPersonalData('(correlation id 12345678-1234-1234-1234-123456789012) tel:+8613800138000, "13800138000"'),
    ).toBe('(correlation id 12345678-1234-1234-1234-123456789012) tel:***00, "***00"');
    // A phone right after a date, or joined to a word, is masked; the date is not.
    expect(maskPersonalData('at 2026-11-30 13800138000, at 2026-11-30T08:35:46.687Z')).toBe(
      'at 2026-11-30 ***00, at 2026-11-30T08:35:46.687Z',
    );
    expect(maskPersonalData('phone13800138000, value_13800138000, contact-13800138000, 13800138000abc')).toBe(
      'phone***00, value_***00, contact-***00, ***00abc',
    );
    expect(maskPersonalData('gave up after 3 attempts: contact 10001 not found at 2026-11-30')).toBe(
      'gave up after 3 attempts: contact 10001 not found at 2026-11-30',
    );
  });

  it("masks the call's own personal values wherever they appear, a name included", () => {
    const known = ['王芳', 'Wang Fang', '17534989887', '+8617534989887', null, 'x'];
    expect(maskPersonalData('Contact Wang Fang (王芳, +8617534989887) is invalid; x stays', known)).toBe(
      'Contact *** (***, ***) is invalid; x stays',
    );
  });
});

describe('maskPhone', () => {
  it('keeps the country code, the first group and the last four digits of a number, and stars the rest', () => {
    expect(maskPhone('+8617534989887')).toBe('+86 175 **** 9887');
    expect(maskPhone('+12133734253')).toBe('+1 213 *** 4253');
    expect(maskPhone('+442071838750')).toBe('+44 20 **** 8750');
    // Two groups only: the head is starred too, the last four stay.
    expect(maskPhone('+49301234567')).toMatch(/^\+49 [*\s]+4567$/);
  });

  it('keeps two digits of what does not parse, and nothing of a short one', () => {
    expect(maskPhone('abc 1234567')).toBe('***67');
    expect(maskPhone('12345')).toBe('***');
    expect(maskPhone('')).toBeNull();
    expect(maskPhone(null)).toBeNull();
  });
});
