/**
 * Personal data masked out of text an operator reads (stored errors, the inbox command): HubSpot's refusals quote
 * the values they refuse, an email address or a phone number among them. Anything shaped like an email address
 * becomes `***@***`; phone numbers and other runs of seven or more digits keep their last two digits.
 */
export function maskPersonalData(text: string): string {
  return text
    .replace(/[^\s"'<>()[\]{},;:]*@[^\s"'<>()[\]{},;:]*/g, '***@***')
    .replace(/[+(]?\d[\d\s().-]{5,}\d/g, (run) => {
      const digits = run.replace(/\D/g, '');
      // Dates (2026-11-30) are not phone numbers.
      return digits.length >= 7 && !/^\d{4}-\d{2}-\d{2}/.test(run) ? `***${digits.slice(-2)}` : run;
    });
}
