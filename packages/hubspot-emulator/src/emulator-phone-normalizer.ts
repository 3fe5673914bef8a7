/**
 * Derives `hs_searchable_calculated_phone_number` / `hs_searchable_calculated_mobile_number` from `phone` /
 * `mobilephone`.
 *
 * This is an APPROXIMATION of HubSpot's (unpublished) normalisation: keep the digits only, and when the number
 * was written with a leading `+`, drop the country calling code (the longest known ITU code that prefixes the
 * digits; the codes are prefix-free, so at most one matches). Examples:
 *   "+86 175-3498-9887" → "17534989887", "175 3498 9887" → "17534989887", "+1 (415) 555-0100" → "4155550100".
 * HubSpot also uses the portal's default country for numbers without `+` and may strip national trunk
 * prefixes; the emulator does neither, so a connector must search with the national significant number.
 */
import { getCountries, getCountryCallingCode } from 'libphonenumber-js';

const COUNTRY_CALLING_CODES: ReadonlySet<string> = new Set(
  getCountries().map((country) => String(getCountryCallingCode(country))),
);

export function searchablePhoneNumber(raw: string): string | undefined {
  const digits = raw.replace(/\D/g, '');
  if (digits === '') return undefined;
  if (!raw.trimStart().startsWith('+')) return digits;
  for (let length = 1; length <= 3 && length < digits.length; length += 1) {
    if (COUNTRY_CALLING_CODES.has(digits.slice(0, length))) return digits.slice(length);
  }
  return digits;
}

/** Source property → calculated property, for contacts. */
export const SEARCHABLE_PHONE_PROPERTIES: readonly (readonly [source: string, calculated: string])[] = [
  ['phone', 'hs_searchable_calculated_phone_number'],
  ['mobilephone', 'hs_searchable_calculated_mobile_number'],
];
