import { parsePhoneNumberFromString, getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { PhoneNumber } from './call-record.js';
import { presentText } from './vendor-values.js';

/**
 * Normalises a vendor's phone text to E.164 with libphonenumber's full metadata. Numbers without a country code are
 * read in the vendor's default region; `86…` without the `+` is tried as international when the national reading is
 * not a valid number. Anything that is not a valid number keeps its raw text and gets no E.164 (never a guess).
 */
export function normalisePhone(value: unknown, defaultRegion: string): PhoneNumber {
  const raw = presentText(value);
  if (raw === null) return { e164: null, raw: null };
  const region = defaultRegion as CountryCode;
  const national = parsePhoneNumberFromString(raw, region);
  if (national?.isValid()) return { e164: national.number, raw };

  const digits = raw.replace(/[^\d]/g, '');
  const callingCode = safeCallingCode(region);
  if (callingCode && !raw.trim().startsWith('+') && digits.startsWith(callingCode)) {
    const international = parsePhoneNumberFromString(`+${digits}`);
    if (international?.isValid()) return { e164: international.number, raw };
  }
  return { e164: null, raw };
}

function safeCallingCode(region: CountryCode): string | null {
  try {
    return getCountryCallingCode(region);
  } catch {
    return null;
  }
}

export function isSupportedRegion(region: string): boolean {
  return safeCallingCode(region as CountryCode) !== null;
}
