import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * Tried in this order at each place: a UUID (HubSpot's correlation ids) and an ISO date or time, both kept whole;
 * then a run of digits with a phone number's separators.
 */
const NUMBERS =
  /(\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)|((?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\d-]))|((?:\+|\()?(?<!\d)\d[\d\s().-]{5,}\d(?!\d))/gi;

/**
 * Personal data masked out of text an operator reads (stored errors and warnings, health, logs): HubSpot's refusals
 * quote the values they refuse. The values of the call itself that are personal (`known`: the customer's name,
 * email address, phone number as sent and as E.164, company) become `***` wherever they appear; then anything shaped
 * like an email address becomes `***@***`, and phone numbers, or any run of seven or more digits, keep their last
 * two digits. UUIDs (HubSpot's correlation ids) and dates stay whole.
 */
export function maskPersonalData(text: string, known: ReadonlyArray<string | null | undefined> = []): string {
  let masked = text;
  const values = [...new Set(known.map((value) => value?.trim() ?? '').filter((value) => value.length >= 2))].sort(
    (a, b) => b.length - a.length,
  );
  for (const value of values) masked = masked.split(value).join('***');
  return masked
    .replace(/[^\s"'<>()[\]{},;:]*@[^\s"'<>()[\]{},;:]*/g, '***@***')
    .replace(NUMBERS, (run: string, uuid?: string, date?: string) => {
      if (uuid || date) return run;
      const digits = run.replace(/\D/g, '');
      return digits.length >= 7 ? `***${digits.slice(-2)}` : run;
    });
}

/**
 * A phone number as a list shows it: the country code, the first group and the last four digits, the rest starred
 * (`+86 175 **** 9887`, `+1 213 *** 4253`). A number that does not parse keeps only its last two digits, as
 * `maskPersonalData` does.
 */
export function maskPhone(phone: string | null | undefined): string | null {
  const text = phone?.trim();
  if (!text) return null;
  const international = parsePhoneNumberFromString(text)?.formatInternational();
  const digits = text.replace(/\D/g, '');
  if (!international) return digits.length >= 7 ? `***${digits.slice(-2)}` : '***';
  const [code = '', ...groups] = international.split(' ');
  const national = groups.join(' ');
  const nationalDigits = national.replace(/\D/g, '').length;
  const head = groups.length >= 3 ? groups[0]!.replace(/\D/g, '').length : 0;
  const tail = Math.min(4, Math.max(0, nationalDigits - head - 2));
  let seen = 0;
  const masked = [...national]
    .map((char) => {
      if (!/\d/.test(char)) return char;
      seen++;
      return seen <= head || seen > nationalDigits - tail ? char : '*';
    })
    .join('');
  return `${code} ${masked}`;
}
