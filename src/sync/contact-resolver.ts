import { contactsByNumber, nationalVariants, preferred } from './contact-matching.js';
import { HubSpotPermanentError, NO_DETAILS, refusalDetail } from '../hubspot/hubspot-errors.js';
import type { HubSpotObject, HubSpotPort, InputFailure, Properties } from '../hubspot/hubspot.port.js';
import type { AppLogger } from '../logging/app-logger.js';
import type { ConnectorPropertyNames } from '../mapping/connector-properties.js';
import { contactWrite, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import type { LedgerRepository } from '../store/ledger.repository.js';
import { hasOwnKey, ownValue } from '../common/own-value.js';

export interface ContactResolution {
  ids: Map<string, string>;
  /** Numbers whose contact could not be found or created (the call waits or is dead-lettered). */
  failures: Map<string, InputFailure>;
  /** Contact values HubSpot refused; the contact exists and the call is still logged on it. */
  warnings: Map<string, string>;
  /** New numbers left for the next batch, to share its contact search (see `ResolveOptions.packSearches`). */
  deferred: Set<string>;
}

export interface ResolveOptions {
  /**
   * More calls wait behind this batch (a burst): new numbers that would need a search of their own, less than half
   * full, are left for the next batch to share its search. HubSpot allows 5 searches a second for the whole
   * account, so full searches are what a burst drains at.
   */
  packSearches?: boolean;
}

interface ContactState {
  id: string;
  origin: 'known' | 'adopted' | 'created' | 'matched';
  /** Current values of mapped fill-if-empty properties, where known. */
  current: Record<string, string | null>;
  filled: Set<string>;
  /** Adopted without our key: the write sets it. */
  needsKey: boolean;
  /** Properties the upsert already wrote. */
  written: Set<string>;
  /** The contact's values could not be read: fill-if-empty values are not written this time. */
  unread?: boolean;
}

const BATCH = 100;
/** Searches spent isolating the numbers a refused search is about (searches are HubSpot's scarcest quota: 5 a second). */
const SEARCH_ISOLATION_BUDGET = 8;
/** Write rounds for one contact whose values HubSpot refuses: as planned, adjusted to HubSpot's answer, the number alone. */
const WRITE_ROUNDS = 3;

/**
 * Finds the HubSpot contact for each E.164 number, creating it when there is none, without ever creating two,
 * and writes the mapped contact values under their write modes:
 *  1. the ledger (numbers seen before): no request;
 *  2. searches on HubSpot's calculated phone and mobile properties, each sized to HubSpot's limits, to adopt
 *     contacts created elsewhere (the country is confirmed here, since the calculated values have none);
 *  3. batch upsert on the unique E.164 property for the rest (with the overwrite values only): HubSpot keeps one
 *     contact per value, so concurrent calls from one new number cannot race into duplicates;
 *  4. one batch update with what is left to write: fill-if-empty values where the contact has none (known from the
 *     search, the ledger, or a batch read), creation values for new contacts, our key on adopted ones.
 * A value HubSpot refuses costs only that value (the rest of the contact is written), a portal validation rule is
 * met with the mapping's creation values, and a contact HubSpot no longer has is forgotten and resolved again.
 */
export class ContactResolver {
  /** Properties HubSpot answered are read-only (`hs_marketable_status` may be): not sent again by this process. */
  private readonly readOnly = new Set<string>();

  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly ledger: LedgerRepository,
    private readonly logger: AppLogger,
    private readonly now: () => Date,
  ) {}

  async resolve(
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    createUnknown: boolean,
    options: ResolveOptions = {},
    healing = true,
  ): Promise<ContactResolution> {
    const resolution: ContactResolution = {
      ids: new Map(),
      failures: new Map(),
      warnings: new Map(),
      deferred: new Set(),
    };
    const fillProperties = [...new Set([...plans.values()].flatMap((plan) => Object.keys(plan.fillIfEmpty)))];
    const states = new Map<string, ContactState>();
    for (const [e164, known] of await this.ledger.contacts([...plans.keys()])) {
      states.set(e164, {
        id: known.contactId,
        origin: 'known',
        current: {},
        filled: known.filled,
        needsKey: false,
        written: new Set(),
      });
    }
    const unsearched = [...plans.keys()].filter((e164) => !states.has(e164));
    if (options.packSearches)
      resolution.deferred = this.partialSearch(unsearched, searchedProperties(names, fillProperties));
    const unknown = unsearched.filter((e164) => !resolution.deferred.has(e164));
    if (unknown.length > 0) {
      for (const [e164, state] of await this.adopt(unknown, names, fillProperties, resolution)) states.set(e164, state);
      const toCreate = unknown.filter((e164) => !states.has(e164) && !resolution.failures.has(e164));
      if (createUnknown && toCreate.length > 0) {
        for (const [e164, state] of await this.upsert(toCreate, plans, names, resolution)) states.set(e164, state);
      }
    }

    await this.readWhatIsUnknown(states, plans);
    const gone = await this.writeRest(states, plans, names, resolution);

    for (const e164 of gone) states.delete(e164);
    await this.ledger.saveContacts(
      [...states].map(([e164, state]) => ({
        e164,
        contactId: state.id,
        origin: state.origin === 'known' ? 'known' : state.origin,
        filled: state.filled,
      })),
      this.now(),
    );
    for (const [e164, state] of states) resolution.ids.set(e164, state.id);
    const adopted = [...states.values()].filter((state) => state.origin === 'adopted').length;
    if (adopted > 0) this.logger.info({ adopted }, 'existing HubSpot contacts adopted');
    if (gone.size > 0) await this.resolveAgain(gone, plans, names, createUnknown, resolution, healing);
    return resolution;
  }

  /**
   * Contacts the connector holds ids for that HubSpot says nothing about any more (deleted, or merged into another):
   * their ids are checked with one batch read; the gone ones are forgotten and their numbers resolved again (the
   * surviving contact of a merge is found by its phone, or by the key it took over). Answers the new resolution
   * of the numbers whose contact was gone; the others are left as they are.
   */
  async heal(
    contacts: Map<string, string>,
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    createUnknown: boolean,
  ): Promise<ContactResolution | null> {
    let existing: Map<string, Record<string, string | null>>;
    try {
      existing = await this.hubspot.readObjects('contacts', [...new Set(contacts.values())], ['hs_object_id']);
    } catch (error) {
      if (error instanceof HubSpotPermanentError) return null;
      throw error;
    }
    const gone = new Set([...contacts].filter(([, id]) => !existing.has(id)).map(([e164]) => e164));
    if (gone.size === 0) return null;
    const resolution: ContactResolution = {
      ids: new Map(),
      failures: new Map(),
      warnings: new Map(),
      deferred: new Set(),
    };
    await this.resolveAgain(gone, plans, names, createUnknown, resolution, true);
    return resolution;
  }

  private async resolveAgain(
    gone: Set<string>,
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    createUnknown: boolean,
    into: ContactResolution,
    allowed: boolean,
  ): Promise<void> {
    this.logger.warn(
      { contacts: gone.size },
      'HubSpot no longer has contacts the ledger named (deleted or merged); resolving their numbers again',
    );
    await this.ledger.forgetContacts([...gone]);
    if (!allowed) {
      for (const e164 of gone) {
        into.failures.set(e164, {
          retryable: true,
          status: 404,
          category: 'OBJECT_NOT_FOUND',
          message: 'the contact was deleted or merged in HubSpot while it was being written',
          correlationId: null,
          details: NO_DETAILS,
        });
      }
      return;
    }
    const again = await this.resolve(
      new Map([...gone].map((e164) => [e164, plans.get(e164)!])),
      names,
      createUnknown,
      {},
      false,
    );
    for (const [e164, id] of again.ids) into.ids.set(e164, id);
    for (const [e164, failure] of again.failures) into.failures.set(e164, failure);
    for (const [e164, warning] of again.warnings) into.warnings.set(e164, warning);
  }

  /** The numbers whose search would be the last, and less than half full, of those these numbers need. */
  private partialSearch(numbers: string[], properties: string[]): Set<string> {
    const chunks = this.hubspot.contactSearchChunks(numbers.flatMap(nationalVariants), properties);
    const last = chunks.at(-1);
    if (chunks.length < 2 || !last || last.length * 2 > Math.max(...chunks.map((chunk) => chunk.length)))
      return new Set();
    const lastValues = new Set(last);
    return new Set(numbers.filter((e164) => nationalVariants(e164).some((value) => lastValues.has(value))));
  }

  /** Contacts created elsewhere with these numbers in any format: found once, keyed, remembered. */
  private async adopt(
    numbers: string[],
    names: ConnectorPropertyNames,
    fillProperties: string[],
    resolution: ContactResolution,
  ): Promise<Map<string, ContactState>> {
    const asked = searchedProperties(names, fillProperties);
    const found = await this.searchIsolated(numbers, asked, resolution);
    const byNumber = contactsByNumber(found, numbers, names.uniquePhone);
    const adopted = new Map<string, ContactState>();
    for (const e164 of numbers) {
      const matches = byNumber.get(e164) ?? [];
      if (matches.length === 0) continue;
      const chosen = matches.reduce((best, contact) =>
        preferred(contact, best, e164, names.uniquePhone) ? contact : best,
      );
      const current = Object.fromEntries(
        fillProperties
          .filter((property) => hasOwnKey(chosen.properties, property))
          .map((property) => [property, ownValue(chosen.properties, property) ?? null]),
      );
      adopted.set(e164, {
        id: chosen.id,
        origin: 'adopted',
        current,
        filled: new Set(fillProperties.filter((property) => ownValue(current, property))),
        // A contact holding another number in our key (it has two numbers) keeps it: the key is single-valued.
        needsKey: !ownValue(chosen.properties, names.uniquePhone),
        written: new Set(),
      });
    }
    return adopted;
  }

  /**
   * The adoption search for these numbers. A search HubSpot refuses (a deterministic 4xx) is split until the
   * numbers it is about stand alone; those numbers fail (and are tried again later), the others go on.
   */
  private async searchIsolated(
    numbers: string[],
    properties: string[],
    resolution: ContactResolution,
    budget = { left: SEARCH_ISOLATION_BUDGET },
  ): Promise<HubSpotObject[]> {
    try {
      return await this.hubspot.searchContactsByNationalNumber(numbers.flatMap(nationalVariants), properties);
    } catch (error) {
      if (!(error instanceof HubSpotPermanentError)) throw error;
      if (numbers.length === 1 || budget.left < 2) {
        this.logger.warn(
          { status: error.status, category: error.category, numbers: numbers.length },
          'HubSpot refused a contact search',
        );
        for (const e164 of numbers) {
          resolution.failures.set(e164, {
            retryable: true,
            status: error.status,
            category: error.category,
            message: `the contact search was refused: ${error.message}`,
            correlationId: error.correlationId,
            details: error.details,
          });
        }
        return [];
      }
      budget.left -= 2;
      const middle = Math.ceil(numbers.length / 2);
      return [
        ...(await this.searchIsolated(numbers.slice(0, middle), properties, resolution, budget)),
        ...(await this.searchIsolated(numbers.slice(middle), properties, resolution, budget)),
      ];
    }
  }

  private async upsert(
    numbers: string[],
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    resolution: ContactResolution,
  ): Promise<Map<string, ContactState>> {
    const states = new Map<string, ContactState>();
    for (let index = 0; index < numbers.length; index += BATCH) {
      let inputs = numbers.slice(index, index + BATCH).map((e164) => ({
        e164,
        properties: this.sendable({ ...plans.get(e164)!.overwrite, [names.uniquePhone]: e164 }),
        tried: new Set<string>(),
      }));
      const refusals = new Map<string, InputFailure>();
      for (let round = 1; round <= WRITE_ROUNDS && inputs.length > 0; round++) {
        const outcome = await this.hubspot.upsertContacts(
          names.uniquePhone,
          inputs.map((input) => ({ key: input.e164, id: input.e164, properties: input.properties })),
        );
        const next: typeof inputs = [];
        for (const input of inputs) {
          const result = outcome.succeeded.get(input.e164);
          if (result) {
            states.set(input.e164, {
              id: result.id,
              origin: result.created ? 'created' : 'matched',
              current: {},
              filled: new Set(Object.keys(input.properties)),
              needsKey: false,
              written: new Set(Object.keys(input.properties)),
            });
            const refused = refusals.get(input.e164);
            if (refused)
              resolution.warnings.set(
                input.e164,
                `HubSpot refused some of the contact's values: ${refused.message}${refusalDetail(refused)}`,
              );
            continue;
          }
          const failure = outcome.failed.get(input.e164);
          if (!failure || failure.retryable) {
            resolution.failures.set(input.e164, failure ?? noResult());
            continue;
          }
          this.learnReadOnly(failure);
          const adjusted = this.adjust(
            input.properties,
            failure,
            plans.get(input.e164)!,
            names.uniquePhone,
            input.e164,
            input.tried,
          );
          if (adjusted && round < WRITE_ROUNDS) {
            if (!refusals.has(input.e164)) refusals.set(input.e164, failure);
            next.push({ ...input, properties: adjusted });
          } else resolution.failures.set(input.e164, explainRefusal(failure, 'contacts', input.properties));
        }
        inputs = next;
      }
    }
    return states;
  }

  /**
   * What to send next for a contact HubSpot refused: without the values it named (a value it will not take: an
   * email another contact has, a read-only property); with the mapping's creation values when it asks for a value
   * that was not sent (a portal validation rule); else the number alone. Null when nothing is left to try.
   */
  private adjust(
    sent: Properties,
    failure: InputFailure,
    plan: ContactPlan,
    key: string,
    e164: string,
    tried: Set<string>,
  ): Properties | null {
    const named = failure.details.properties.filter((property) => property !== key);
    const refusedValues = named.filter((property) => hasOwnKey(sent, property));
    if (refusedValues.length > 0) {
      const rest = { ...sent };
      for (const property of refusedValues) delete rest[property];
      return rest;
    }
    if (isRequiredFailure(failure) && !tried.has('creation')) {
      tried.add('creation');
      const withCreation = this.sendable({ ...plan.onCreate, ...plan.fillIfEmpty, ...sent });
      if (Object.keys(withCreation).length > Object.keys(sent).length) return withCreation;
    }
    if (!tried.has('bare') && Object.keys(sent).length > 1 && !isRequiredFailure(failure)) {
      tried.add('bare');
      return { [key]: e164 };
    }
    return null;
  }

  /** One batch read for contacts whose fill-if-empty properties are neither known filled nor just read. */
  private async readWhatIsUnknown(states: Map<string, ContactState>, plans: Map<string, ContactPlan>): Promise<void> {
    const wanted = new Map<string, string[]>();
    for (const [e164, state] of states) {
      if (state.origin === 'created') continue;
      const unknown = Object.keys(effectivePlan(state, plans.get(e164)!).fillIfEmpty).filter(
        (property) => !state.filled.has(property) && !hasOwnKey(state.current, property),
      );
      if (unknown.length > 0) wanted.set(state.id, unknown);
    }
    if (wanted.size === 0) return;
    const properties = [...new Set([...wanted.values()].flat())];
    let values: Map<string, Record<string, string | null>>;
    try {
      values = await this.hubspot.readObjects('contacts', [...wanted.keys()], properties);
    } catch (error) {
      if (!(error instanceof HubSpotPermanentError)) throw error;
      // Not knowing what the contacts hold, fill-if-empty writes nothing: it must never overwrite what sales typed.
      for (const state of states.values()) if (wanted.has(state.id)) state.unread = true;
      return;
    }
    for (const state of states.values()) {
      const read = values.get(state.id);
      if (!read) continue;
      for (const property of properties) {
        state.current[property] = ownValue(read, property) ?? null;
        if (ownValue(read, property)) state.filled.add(property);
      }
    }
  }

  /** Writes what is left; answers the numbers whose known contact HubSpot no longer has. */
  private async writeRest(
    states: Map<string, ContactState>,
    plans: Map<string, ContactPlan>,
    names: ConnectorPropertyNames,
    resolution: ContactResolution,
  ): Promise<Set<string>> {
    const gone = new Set<string>();
    let writes: Array<{ key: string; id: string; properties: Properties }> = [];
    for (const [e164, state] of states) {
      const plan = plans.get(e164)!;
      const planned = state.unread ? { ...plan, fillIfEmpty: {} } : effectivePlan(state, plan);
      const { properties } = contactWrite(planned, {
        created: state.origin === 'created',
        current: { ...Object.fromEntries([...state.filled].map((p) => [p, 'set'])), ...state.current },
      });
      // What the upsert already wrote is not written again.
      for (const property of [...Object.keys(plan.overwrite), ...state.written])
        if (state.origin === 'created' || state.origin === 'matched') delete properties[property];
      if (state.needsKey) properties[names.uniquePhone] = e164;
      const sendable = this.sendable(properties);
      if (Object.keys(sendable).length > 0) writes.push({ key: e164, id: state.id, properties: sendable });
    }
    for (let round = 1; round <= 2 && writes.length > 0; round++) {
      const retry: typeof writes = [];
      for (let index = 0; index < writes.length; index += BATCH) {
        const part = writes.slice(index, index + BATCH);
        const outcome = await this.hubspot.updateContacts(part);
        for (const write of part) {
          const state = states.get(write.key)!;
          if (outcome.succeeded.has(write.key)) {
            for (const [property, value] of Object.entries(write.properties)) if (value) state.filled.add(property);
            continue;
          }
          const failure = outcome.failed.get(write.key) ?? noResult();
          if (isNotFound(failure)) {
            gone.add(write.key);
            continue;
          }
          this.learnReadOnly(failure);
          resolution.warnings.set(
            write.key,
            `HubSpot refused some of the contact's values: ${failure.message}${refusalDetail(failure)}`,
          );
          // The values HubSpot named are left out; the rest of the contact is written. A refusal that names none is
          // taken to be about the marketing status, which HubSpot's API is documented not to set.
          const refused = failure.details.properties.length > 0 ? failure.details.properties : ['hs_marketable_status'];
          const rest = Object.fromEntries(
            Object.entries(write.properties).filter(([property]) => !refused.includes(property)),
          );
          if (
            !failure.retryable &&
            Object.keys(rest).length > 0 &&
            Object.keys(rest).length < Object.keys(write.properties).length
          )
            retry.push({ ...write, properties: rest });
        }
      }
      writes = retry;
    }
    return gone;
  }

  private learnReadOnly(failure: InputFailure): void {
    for (const { property } of failure.details.problems.filter((problem) => /READ_ONLY/i.test(problem.code))) {
      if (this.readOnly.has(property)) continue;
      this.readOnly.add(property);
      this.logger.warn(
        { property },
        'HubSpot does not let the API write this property; the connector stops sending it',
      );
    }
  }

  private sendable(properties: Properties): Properties {
    if (this.readOnly.size === 0) return properties;
    return Object.fromEntries(Object.entries(properties).filter(([property]) => !this.readOnly.has(property)));
  }
}

/**
 * A contact the upsert matched rather than created carries the connector's key, but the connector has no record of
 * it: its own create whose answer was lost (HubSpot applied it, then answered 5xx; a crash before the ledger), or one
 * another instance made. Its creation values (phone, default name, lifecycle stage) are then written where it has
 * none, as fill-if-empty values, so that such a contact is not left without a phone to be found by.
 */
function effectivePlan(state: ContactState, plan: ContactPlan): ContactPlan {
  return state.origin === 'matched' ? { ...plan, fillIfEmpty: { ...plan.onCreate, ...plan.fillIfEmpty } } : plan;
}

/** What an adoption search asks for: what matching needs first, so that a search that cannot ask for everything leaves out fill-if-empty ones. */
function searchedProperties(names: ConnectorPropertyNames, fillProperties: string[]): string[] {
  return [...new Set(['phone', 'mobilephone', names.uniquePhone, ...fillProperties])];
}

function noResult(): InputFailure {
  return {
    retryable: true,
    status: null,
    category: null,
    message: 'HubSpot gave no result',
    correlationId: null,
    details: NO_DETAILS,
  };
}

function isNotFound(failure: InputFailure): boolean {
  return (
    failure.category === 'OBJECT_NOT_FOUND' ||
    failure.status === 404 ||
    failure.details.codes.includes('OBJECT_NOT_FOUND')
  );
}

/** A refusal because a value HubSpot requires was not sent (a portal validation rule, a required property). */
export function isRequiredFailure(failure: InputFailure): boolean {
  return failure.details.codes.some((code) => /REQUIRED/i.test(code)) || /\brequired\b/i.test(failure.message);
}

/**
 * A refusal as the admin should read it: a required property (a portal validation rule, enforced on API writes
 * since 2026-09) is named with how to satisfy it in config/mapping.yaml.
 */
export function explainRefusal(
  failure: InputFailure,
  objectType: 'contacts' | 'calls',
  sent: Properties,
): InputFailure {
  if (!isRequiredFailure(failure)) return failure;
  const required = failure.details.problems
    .filter((problem) => /REQUIRED/i.test(problem.code))
    .map((problem) => problem.property);
  const missing = (required.length > 0 ? required : failure.details.properties).filter(
    (property) => !hasOwnKey(sent, property),
  );
  if (missing.length === 0) return failure;
  const section = objectType === 'contacts' ? 'contact.properties' : 'call.properties';
  const what = objectType === 'contacts' ? 'new contacts' : 'calls';
  const message =
    `HubSpot requires ${missing.join(', ')} on ${what} (a validation rule of the portal): give ${missing.length > 1 ? 'them' : 'it'} a value in ` +
    `config/mapping.yaml, e.g. ${section}: - { template: "AI call", property: ${missing[0]}, mode: fill-if-empty } (HubSpot said: ${failure.message})`;
  return { ...failure, retryable: false, message };
}
