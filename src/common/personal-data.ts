const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Personal data masked out of text an operator reads (stored errors, the inbox command): HubSpot's refusals quote
 * the values they refuse, an email address or a phone number among them. Anything shaped like an email address
 * becomes `***@***`; phone numbers and other runs of seven or more digits standing alone keep their last two digits
 * (a run inside a word, a UUID or a hex id is left: HubSpot's correlation ids must stay whole).
 */
export function maskPersonalData(text: string): string {
  return text
    .replace(/[^\s"'<>()[\]{},;:]*@[^\s"'<>()[\]{},;:]*/g, '***@***')
    // A run stands alone: digits inside a word, a UUID (HubSpot's correlation ids) or a hex id are not a phone.
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|(?<![\w-])[+(]?\d[\d\s().-]{5,}\d(?![\w-])/gi, (run) => {
      if (UUID.test(run)) return run;
      const digits = run.replace(/\D/g, '');
      // Dates (2026-11-30) are not phone numbers.
      return digits.length >= 7 && !/^\d{4}-\d{2}-\d{2}/.test(run) ? `***${digits.slice(-2)}` : run;
    });
}
