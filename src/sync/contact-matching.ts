import { Metadata, type CountryCode } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/metadata.max.json';
import type { HubSpotObject } from '../hubspot/hubspot.port.js';
import { ownValue } from '../common/own-value.js';

/**
 * Which HubSpot contact holds a phone number: our key property, or HubSpot's phone and mobile number read in the
 * number's region. Pure; used by contact resolution and the admin's mapping preview.
 */

const numbering = new Metadata(metadata);

/**
 * The national number as HubSpot's calculated phone properties hold it; landlines also with the trunk prefix `0`
 * people write before an area code (021…), in countries that have one. Mobile numbers are written without one, and
 * +1 numbers have no `0` trunk prefix, so one value each: that keeps a burst of new numbers to as few searches as
 * HubSpot's body limit allows.
 */
export function nationalVariants(e164: string): string[] {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return [];
  if (parsed.getType() === 'MOBILE' || !parsed.country || trunkPrefix(parsed.country) !== '0')
    return [parsed.nationalNumber];
  return [parsed.nationalNumber, `0${parsed.nationalNumber}`];
}

function trunkPrefix(country: CountryCode): string | undefined {
  numbering.selectNumberingPlan(country);
  // The typings leave it out, but libphonenumber's numbering plan has it (CN "0", GB "0", US "1").
  return (numbering.numberingPlan as unknown as { nationalPrefix(): string | undefined } | undefined)?.nationalPrefix();
}

/**
 * The found contacts by the E.164 numbers they hold (in our key, or in phone or mobile number read in each wanted
 * number's region): each contact's numbers are parsed once per region, not once per wanted number.
 */
export function contactsByNumber(
  contacts: HubSpotObject[],
  wanted: string[],
  keyProperty: string,
): Map<string, HubSpotObject[]> {
  const wantedSet = new Set(wanted);
  const regions = new Set(wanted.map((e164) => parsePhoneNumberFromString(e164)?.country));
  const result = new Map<string, HubSpotObject[]>();
  for (const contact of contacts) {
    const held = new Set<string>();
    const key = ownValue(contact.properties, keyProperty);
    if (key) held.add(key);
    for (const property of ['phone', 'mobilephone']) {
      const value = ownValue(contact.properties, property);
      if (!value) continue;
      for (const region of regions) {
        const number = parsePhoneNumberFromString(value, region)?.number;
        if (number) held.add(number);
      }
    }
    for (const e164 of held) if (wantedSet.has(e164)) result.set(e164, [...(result.get(e164) ?? []), contact]);
  }
  return result;
}

export function holdsNumber(contact: HubSpotObject, e164: string, keyProperty: string): boolean {
  if (ownValue(contact.properties, keyProperty) === e164) return true;
  const region = parsePhoneNumberFromString(e164)?.country;
  return ['phone', 'mobilephone'].some((property) => {
    const value = ownValue(contact.properties, property);
    return value ? parsePhoneNumberFromString(value, region)?.number === e164 : false;
  });
}

/** Prefer the contact that already carries our key, then the oldest (lowest id). */
export function preferred(
  candidate: HubSpotObject,
  current: HubSpotObject,
  e164: string,
  keyProperty: string,
): boolean {
  const candidateKeyed = ownValue(candidate.properties, keyProperty) === e164;
  const currentKeyed = ownValue(current.properties, keyProperty) === e164;
  if (candidateKeyed !== currentKeyed) return candidateKeyed;
  return candidate.id.length !== current.id.length
    ? candidate.id.length < current.id.length
    : candidate.id < current.id;
}
