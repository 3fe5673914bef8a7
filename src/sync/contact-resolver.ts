import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { HubSpotObject, HubSpotPort, InputFailure, Properties } from '../hubspot/hubspot.port.js';
import type { AppLogger } from '../logging/app-logger.js';
import type { ConnectorPropertyNames } from '../mapping/connector-properties.js';
import type { LedgerRepository } from '../store/ledger.repository.js';

export interface ContactResolution {
  ids: Map<string, string>;
  failures: Map<string, InputFailure>;
}

const BATCH = 100;

/**
 * Finds the HubSpot contact for each E.164 number, creating it when there is none, without ever creating two:
 *  1. the ledger (numbers seen before): no request at all;
 *  2. one search per 100 new numbers on HubSpot's calculated phone and mobile properties, to adopt contacts created
 *     elsewhere (the country is confirmed here, since the calculated values have none); our unique key is set on them;
 *  3. batch upsert on the unique E.164 property for the rest: HubSpot itself guarantees one contact per value, so
 *     concurrent calls from one new number cannot race into duplicates, whatever the search index lags.
 */
export class ContactResolver {
  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly ledger: LedgerRepository,
    private readonly names: ConnectorPropertyNames,
    private readonly logger: AppLogger,
    private readonly now: () => Date,
  ) {}

  /** `needs`: E.164 → properties for a contact created for it. */
  async resolve(needs: Map<string, Properties>): Promise<ContactResolution> {
    const resolution: ContactResolution = { ids: await this.ledger.contactIds([...needs.keys()]), failures: new Map() };
    const unknown = [...needs.keys()].filter((e164) => !resolution.ids.has(e164));
    if (unknown.length === 0) return resolution;

    const adopted = await this.adopt(unknown);
    const toUpsert = unknown.filter((e164) => !adopted.has(e164));
    const upserted = await this.upsert(toUpsert, needs, resolution.failures);

    await this.ledger.saveContacts(
      [
        ...[...adopted].map(([e164, contactId]) => ({ e164, contactId, origin: 'adopted' })),
        ...[...upserted].map(([e164, result]) => ({ e164, contactId: result.id, origin: result.created ? 'created' : 'matched' })),
      ],
      this.now(),
    );
    for (const [e164, contactId] of adopted) resolution.ids.set(e164, contactId);
    for (const [e164, result] of upserted) resolution.ids.set(e164, result.id);
    if (adopted.size > 0) this.logger.info({ adopted: adopted.size }, 'existing HubSpot contacts adopted');
    return resolution;
  }

  /** Contacts created elsewhere with these numbers in any format: found once, keyed, remembered. */
  private async adopt(numbers: string[]): Promise<Map<string, string>> {
    const byNational = new Map<string, string[]>();
    for (const e164 of numbers) {
      for (const variant of nationalVariants(e164)) byNational.set(variant, [...(byNational.get(variant) ?? []), e164]);
    }
    const found = await this.hubspot.searchContactsByNationalNumber([...byNational.keys()], ['phone', 'mobilephone', this.names.uniquePhone]);
    const chosen = new Map<string, HubSpotObject>();
    for (const contact of found) {
      for (const e164 of numbers) {
        if (!this.holdsNumber(contact, e164)) continue;
        const current = chosen.get(e164);
        if (!current || preferred(contact, current, e164, this.names.uniquePhone)) chosen.set(e164, contact);
      }
    }
    // Put our key on the adopted contacts that have none, so that later upserts land on them.
    const keyless = [...chosen].filter(([, contact]) => !contact.properties[this.names.uniquePhone]);
    const adopted = new Map([...chosen].filter(([, contact]) => contact.properties[this.names.uniquePhone]).map(([e164, contact]) => [e164, contact.id]));
    for (let index = 0; index < keyless.length; index += BATCH) {
      const part = keyless.slice(index, index + BATCH);
      const outcome = await this.hubspot.updateContacts(
        part.map(([e164, contact]) => ({ key: e164, id: contact.id, properties: { [this.names.uniquePhone]: e164 } })),
      );
      // A number whose key could not be set (another contact already holds it) goes to the upsert, which finds that one.
      for (const [e164, result] of outcome.succeeded) adopted.set(e164, result.id);
    }
    return adopted;
  }

  private holdsNumber(contact: HubSpotObject, e164: string): boolean {
    if (contact.properties[this.names.uniquePhone] === e164) return true;
    const region = parsePhoneNumberFromString(e164)?.country;
    return ['phone', 'mobilephone'].some((property) => {
      const value = contact.properties[property];
      if (!value) return false;
      return parsePhoneNumberFromString(value, region)?.number === e164;
    });
  }

  private async upsert(
    numbers: string[],
    needs: Map<string, Properties>,
    failures: Map<string, InputFailure>,
  ): Promise<Map<string, { id: string; created: boolean }>> {
    const results = new Map<string, { id: string; created: boolean }>();
    for (let index = 0; index < numbers.length; index += BATCH) {
      const part = numbers.slice(index, index + BATCH);
      const outcome = await this.hubspot.upsertContacts(
        this.names.uniquePhone,
        part.map((e164) => ({ key: e164, id: e164, properties: needs.get(e164)! })),
      );
      for (const [e164, result] of outcome.succeeded) results.set(e164, result);
      // A refused optional value (an email another contact already has, say) must not cost the call its contact:
      // try those again with the number alone.
      const refused = [...outcome.failed].filter(([, failure]) => !failure.retryable);
      for (const [e164, failure] of outcome.failed) if (failure.retryable) failures.set(e164, failure);
      if (refused.length > 0) {
        const retry = await this.hubspot.upsertContacts(
          this.names.uniquePhone,
          refused.map(([e164]) => ({ key: e164, id: e164, properties: { [this.names.uniquePhone]: e164, phone: e164 } })),
        );
        for (const [e164, result] of retry.succeeded) results.set(e164, result);
        for (const [e164, failure] of retry.failed) failures.set(e164, failure);
      }
    }
    return results;
  }
}

/** The national number as HubSpot's calculated phone properties hold it, with and without a trunk prefix `0`. */
export function nationalVariants(e164: string): string[] {
  const national = parsePhoneNumberFromString(e164)?.nationalNumber;
  return national ? [national, `0${national}`] : [];
}

/** Prefer the contact that already carries our key, then the oldest (lowest id). */
function preferred(candidate: HubSpotObject, current: HubSpotObject, e164: string, keyProperty: string): boolean {
  const candidateKeyed = candidate.properties[keyProperty] === e164;
  const currentKeyed = current.properties[keyProperty] === e164;
  if (candidateKeyed !== currentKeyed) return candidateKeyed;
  return candidate.id.length !== current.id.length ? candidate.id.length < current.id.length : candidate.id < current.id;
}
