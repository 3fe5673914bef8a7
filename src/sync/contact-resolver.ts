import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { HubSpotObject, HubSpotPort, InputFailure, Properties } from '../hubspot/hubspot.port.js';
import type { AppLogger } from '../logging/app-logger.js';
import type { ConnectorPropertyNames } from '../mapping/connector-properties.js';
import { contactWrite, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import type { LedgerRepository } from '../store/ledger.repository.js';

export interface ContactResolution {
  ids: Map<string, string>;
  /** Numbers whose contact could not be found or created (the call waits or is dead-lettered). */
  failures: Map<string, InputFailure>;
  /** Contact values HubSpot refused; the contact exists and the call is still logged on it. */
  warnings: Map<string, string>;
}

interface ContactState {
  id: string;
  origin: 'known' | 'adopted' | 'created' | 'matched';
  /** Current values of mapped fill-if-empty properties, where known. */
  current: Record<string, string | null>;
  filled: Set<string>;
  /** Adopted without our key: the write sets it. */
  needsKey: boolean;
}

const BATCH = 100;

/**
 * Finds the HubSpot contact for each E.164 number, creating it when there is none, without ever creating two,
 * and writes the mapped contact values under their write modes:
 *  1. the ledger (numbers seen before): no request;
 *  2. one search per 100 new numbers on HubSpot's calculated phone and mobile properties, to adopt contacts created
 *     elsewhere (the country is confirmed here, since the calculated values have none);
 *  3. batch upsert on the unique E.164 property for the rest (with the overwrite values only): HubSpot keeps one
 *     contact per value, so concurrent calls from one new number cannot race into duplicates;
 *  4. one batch update with what is left to write: fill-if-empty values where the contact has none (known from the
 *     search, the ledger, or a batch read), creation values for new contacts, our key on adopted ones.
 */
export class ContactResolver {
  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly ledger: LedgerRepository,
    private readonly logger: AppLogger,
    private readonly now: () => Date,
  ) {}

  async resolve(plans: Map<string, ContactPlan>, names: ConnectorPropertyNames, createUnknown: boolean): Promise<ContactResolution> {
    const resolution: ContactResolution = { ids: new Map(), failures: new Map(), warnings: new Map() };
    const fillProperties = [...new Set([...plans.values()].flatMap((plan) => Object.keys(plan.fillIfEmpty)))];
    const states = new Map<string, ContactState>();
    for (const [e164, known] of await this.ledger.contacts([...plans.keys()])) {
      states.set(e164, { id: known.contactId, origin: 'known', current: {}, filled: known.filled, needsKey: false });
    }
    const unknown = [...plans.keys()].filter((e164) => !states.has(e164));
    if (unknown.length > 0) {
      for (const [e164, state] of await this.adopt(unknown, names, fillProperties)) states.set(e164, state);
      const toCreate = unknown.filter((e164) => !states.has(e164));
      if (createUnknown && toCreate.length > 0) {
        for (const [e164, state] of await this.upsert(toCreate, plans, names, resolution)) states.set(e164, state);
      }
    }

    await this.readWhatIsUnknown(states, plans);
    await this.writeRest(states, plans, names, resolution);

    await this.ledger.saveContacts(
      [...states].map(([e164, state]) => ({ e164, contactId: state.id, origin: state.origin === 'known' ? 'known' : state.origin, filled: state.filled })),
      this.now(),
    );
    for (const [e164, state] of states) resolution.ids.set(e164, state.id);
    const adopted = [...states.values()].filter((state) => state.origin === 'adopted').length;
    if (adopted > 0) this.logger.info({ adopted }, 'existing HubSpot contacts adopted');
    return resolution;
  }

  /** Contacts created elsewhere with these numbers in any format: found once, keyed, remembered. */
  private async adopt(numbers: string[], names: ConnectorPropertyNames, fillProperties: string[]): Promise<Map<string, ContactState>> {
    const variants = numbers.flatMap(nationalVariants);
    const found = await this.hubspot.searchContactsByNationalNumber(variants, [...new Set(['phone', 'mobilephone', names.uniquePhone, ...fillProperties])]);
    const adopted = new Map<string, ContactState>();
    for (const e164 of numbers) {
      const matches = found.filter((contact) => holdsNumber(contact, e164, names.uniquePhone));
      if (matches.length === 0) continue;
      const chosen = matches.reduce((best, contact) => (preferred(contact, best, e164, names.uniquePhone) ? contact : best));
      const current = Object.fromEntries(fillProperties.map((property) => [property, chosen.properties[property] ?? null]));
      adopted.set(e164, {
        id: chosen.id,
        origin: 'adopted',
        current,
        filled: new Set(fillProperties.filter((property) => current[property])),
        // A contact holding another number in our key (it has two numbers) keeps it: the key is single-valued.
        needsKey: !chosen.properties[names.uniquePhone],
      });
    }
    return adopted;
  }

  private async upsert(
    numbers: string[],
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    resolution: ContactResolution,
  ): Promise<Map<string, ContactState>> {
    const states = new Map<string, ContactState>();
    const record = (e164: string, result: { id: string; created: boolean }): void => {
      states.set(e164, { id: result.id, origin: result.created ? 'created' : 'matched', current: {}, filled: new Set(Object.keys(plans.get(e164)!.overwrite)), needsKey: false });
    };
    for (let index = 0; index < numbers.length; index += BATCH) {
      const part = numbers.slice(index, index + BATCH);
      const outcome = await this.hubspot.upsertContacts(
        names.uniquePhone,
        part.map((e164) => ({ key: e164, id: e164, properties: { ...plans.get(e164)!.overwrite, [names.uniquePhone]: e164 } })),
      );
      for (const [e164, result] of outcome.succeeded) record(e164, result);
      for (const [e164, failure] of outcome.failed) if (failure.retryable) resolution.failures.set(e164, failure);
      // A refused value (an email another contact already has) must not cost the call its contact: the number alone.
      const refused = [...outcome.failed].filter(([, failure]) => !failure.retryable);
      if (refused.length === 0) continue;
      const retry = await this.hubspot.upsertContacts(names.uniquePhone, refused.map(([e164]) => ({ key: e164, id: e164, properties: { [names.uniquePhone]: e164 } })));
      for (const [e164, result] of retry.succeeded) {
        record(e164, result);
        states.get(e164)!.filled.clear();
        resolution.warnings.set(e164, `HubSpot refused the contact's values: ${outcome.failed.get(e164)!.message}`);
      }
      for (const [e164, failure] of retry.failed) resolution.failures.set(e164, failure);
    }
    return states;
  }

  /** One batch read for contacts whose fill-if-empty properties are neither known filled nor just read. */
  private async readWhatIsUnknown(states: Map<string, ContactState>, plans: Map<string, ContactPlan>): Promise<void> {
    const wanted = new Map<string, string[]>();
    for (const [e164, state] of states) {
      if (state.origin === 'created' || state.origin === 'adopted') continue;
      const unknown = Object.keys(plans.get(e164)?.fillIfEmpty ?? {}).filter((property) => !state.filled.has(property) && !(property in state.current));
      if (unknown.length > 0) wanted.set(state.id, unknown);
    }
    if (wanted.size === 0) return;
    const properties = [...new Set([...wanted.values()].flat())];
    const values = await this.hubspot.readObjects('contacts', [...wanted.keys()], properties);
    for (const state of states.values()) {
      const read = values.get(state.id);
      if (!read) continue;
      for (const property of properties) {
        state.current[property] = read[property] ?? null;
        if (read[property]) state.filled.add(property);
      }
    }
  }

  private async writeRest(states: Map<string, ContactState>, plans: Map<string, ContactPlan>, names: ConnectorPropertyNames, resolution: ContactResolution): Promise<void> {
    const writes: Array<{ key: string; id: string; properties: Properties }> = [];
    for (const [e164, state] of states) {
      const plan = plans.get(e164)!;
      const { properties } = contactWrite(plan, { created: state.origin === 'created', current: { ...Object.fromEntries([...state.filled].map((p) => [p, 'set'])), ...state.current } });
      // The upsert already wrote the overwrite values.
      if (state.origin === 'created' || state.origin === 'matched') for (const property of Object.keys(plan.overwrite)) delete properties[property];
      if (state.needsKey) properties[names.uniquePhone] = e164;
      if (Object.keys(properties).length > 0) writes.push({ key: e164, id: state.id, properties });
    }
    for (let index = 0; index < writes.length; index += BATCH) {
      const part = writes.slice(index, index + BATCH);
      const outcome = await this.hubspot.updateContacts(part);
      for (const write of part) {
        const state = states.get(write.key)!;
        if (outcome.succeeded.has(write.key)) {
          for (const [property, value] of Object.entries(write.properties)) if (value) state.filled.add(property);
        } else {
          const failure = outcome.failed.get(write.key);
          resolution.warnings.set(write.key, `HubSpot refused the contact's values: ${failure?.message ?? 'no result'}`);
        }
      }
    }
  }
}

/**
 * The national number as HubSpot's calculated phone properties hold it; landlines also with the trunk prefix `0`
 * people write before an area code (021…). Mobile numbers are written without one, so one value each: that keeps a
 * burst of new numbers to one search per 100 of them.
 */
export function nationalVariants(e164: string): string[] {
  const parsed = parsePhoneNumberFromString(e164);
  if (!parsed) return [];
  return parsed.getType() === 'MOBILE' ? [parsed.nationalNumber] : [parsed.nationalNumber, `0${parsed.nationalNumber}`];
}

export function holdsNumber(contact: HubSpotObject, e164: string, keyProperty: string): boolean {
  if (contact.properties[keyProperty] === e164) return true;
  const region = parsePhoneNumberFromString(e164)?.country;
  return ['phone', 'mobilephone'].some((property) => {
    const value = contact.properties[property];
    return value ? parsePhoneNumberFromString(value, region)?.number === e164 : false;
  });
}

/** Prefer the contact that already carries our key, then the oldest (lowest id). */
function preferred(candidate: HubSpotObject, current: HubSpotObject, e164: string, keyProperty: string): boolean {
  const candidateKeyed = candidate.properties[keyProperty] === e164;
  const currentKeyed = current.properties[keyProperty] === e164;
  if (candidateKeyed !== currentKeyed) return candidateKeyed;
  return candidate.id.length !== current.id.length ? candidate.id.length < current.id.length : candidate.id < current.id;
}
