import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import {
  HubSpotError,
  HubSpotOutcomeUnknownError,
  HubSpotPermanentError,
  NO_DETAILS,
} from '../hubspot/hubspot-errors.js';
import { HubSpotProvisioner } from './hubspot-provisioner.js';
import {
  InjectHubSpot,
  type BatchOutcome,
  type HubSpotPort,
  type InputFailure,
  type ObjectUpdateInput,
} from '../hubspot/hubspot.port.js';
import { AppLogger } from '../logging/app-logger.js';
import {
  callPropertyDefinitions,
  connectorPropertyNames,
  type ConnectorPropertyNames,
} from '../mapping/connector-properties.js';
import { callWrite, intentionValue, tagValues, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import { LedgerRepository, type CallLedgerRow } from '../store/ledger.repository.js';
import { RecordingRepository, type RecordingEntry, type StoredRecording } from '../store/recording.repository.js';
import { defaultRecordingSource } from '../vendors/recording-source.js';
import { vendorDefinition } from '../vendors/vendors.js';
import {
  callWriteFailure as failureResult,
  contactPlans,
  groupByCall,
  holdUpdateOnly,
  mergeOntoLedger,
  planCallWrites,
  selectConfigured,
  setAsideWithoutPhone,
  type CallGroup,
  type CallUpdate,
  type SyncItem,
  type SyncResult,
} from './sync-plan.js';
import {
  ContactResolver,
  explainRefusal,
  isRequiredFailure,
  type ContactResolution,
  type ResolveOptions,
} from './contact-resolver.js';

/**
 * What a sync did. `interruption`: HubSpot as a whole stopped answering or refused (outage, daily limit, auth, a
 * portal the mapping does not fit) part-way; items without a result were not written and go back unchanged.
 */
export interface SyncOutcome {
  results: Map<number, SyncResult>;
  interruption: unknown;
}

export const SYNC_OPTIONS = Symbol('SYNC_OPTIONS');

export interface SyncOptions {
  /**
   * How long HubSpot's search may lag behind a write. A call whose create was sent but whose answer was never
   * recorded (a crash, a time-out, a 5xx) is looked up by its key before being created again; a miss is trusted
   * only once the create is older than this.
   */
  searchLagMs: number;
}

const BATCH = 100;
/**
 * How many calls one create request carries for a call whose create already went out `tries` times without a result
 * (each time looked up, not found): 100 for the first two tries (a passing 5xx costs nothing more), then 8, 4, 2
 * and 1, so that a create HubSpot keeps failing ends up alone within a few tries.
 */
function createBatchSize(tries: number): number {
  return tries < 3 ? BATCH : Math.max(1, 16 >> (tries - 2));
}

/** What one sync pass shares between its steps. */
interface Pass {
  settings: ConnectorSettings;
  names: ConnectorPropertyNames;
  plans: Map<string, ContactPlan>;
  contacts: ContactResolution;
  /** The call ledger's rows for this batch's calls, as they were before this pass. */
  ledger: Map<string, CallLedgerRow>;
  /** Intention and tag values that are not options and cannot become ones: written as text. */
  unlisted: Set<string>;
  /** Per call key: values left out because HubSpot could not take them (a warning on the synced call). */
  dropped: Map<string, string>;
  book: ResultBook;
  /** Calls of this batch whose recording is already kept in HubSpot (the sync then writes the kept file, not the vendor's link). */
  stored: Map<string, StoredRecording>;
}

/**
 * A failed write that a fresh look at the portal may fix: a contact gone, an option removed, a connector property
 * deleted, a call deleted; or a property of the admin's mapping deleted (`mapping`: the mapping no longer fits the
 * portal, which pauses sync as misconfigured instead of dead-lettering every call).
 */
type Heal = 'contact' | 'options' | 'properties' | 'call-gone' | 'mapping';

/** How one pass runs: contact search packing (`ResolveOptions`), and what a new sync leader must wait out. */
export interface SyncPassOptions extends ResolveOptions {
  /**
   * The clock's ms after which no earlier leader's request can still be applied by HubSpot (this lease's start +
   * the request time-out); unconfirmed creates are looked up, and a miss trusted, only after it + search lag.
   */
  earlierLeadersDoneAt?: number;
}

/**
 * Writes a batch of call records to HubSpot under the current mapping: contacts by phone (see `ContactResolver`),
 * then one call engagement per vendor call (batch create, associated to the contact, or batch update of the call
 * the ledger knows). Input-level failures become per-record results, and so do deterministic refusals of whole
 * requests (each fails only the calls it concerns); failures of HubSpot as a whole (daily limit, auth, outage) end
 * the pass with the records not yet written handed back, to be tried again unchanged: every step is idempotent,
 * and a create whose outcome is unknown is looked up before it is ever sent again.
 */
@Injectable()
export class HubSpotSyncService {
  private readonly contacts: ContactResolver;

  private readonly now: () => Date;

  constructor(
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    private readonly provisioner: HubSpotProvisioner,
    private readonly ledger: LedgerRepository,
    private readonly recordings: RecordingRepository,
    @Inject(SYNC_OPTIONS) private readonly options: SyncOptions,
    private readonly logger: AppLogger,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.now = () => clock.now();
    this.contacts = new ContactResolver(hubspot, ledger, logger, this.now);
  }

  /** What an admin should know while sync goes on (an option limit reached, a property HubSpot refused). */
  warnings(): string[] {
    return [...this.provisioner.warnings.values()];
  }

  /** Provisions and checks the portal against the mapping again (after a `misconfigured` pause): throws if it still does not fit. */
  async recheckPortal(settings: ConnectorSettings): Promise<void> {
    this.provisioner.invalidate();
    await this.provisioner.ensureReady(settings, this.now().getTime());
  }

  async sync(items: SyncItem[], settings: ConnectorSettings, options: SyncPassOptions = {}): Promise<SyncOutcome> {
    const book = new ResultBook();
    try {
      await this.run(items, settings, book, options);
      return { results: book.results(), interruption: null };
    } catch (error) {
      return { results: book.results(), interruption: error };
    }
  }

  /** The phases of one pass (see `sync-plan.ts`), in order; each write settles the events it concerns. */
  private async run(
    items: SyncItem[],
    settings: ConnectorSettings,
    book: ResultBook,
    options: SyncPassOptions,
  ): Promise<void> {
    if (items.length === 0) return;
    await this.provisioner.ensureReady(settings, this.now().getTime());
    const names = connectorPropertyNames(settings);

    const { syncable, skipped } = selectConfigured(items, settings);
    // Not expected by any group: settled as they are (an event's other records may still be written).
    for (const { refs, result } of skipped) for (const ref of refs) book.settleRef(ref, result);
    const groups = groupByCall(syncable, settings);
    const ledger = await this.ledger.calls(groups.map((group) => group.key));
    mergeOntoLedger(groups, ledger);
    for (const group of groups) book.expect(group.refs);

    const { deferred, active } = holdUpdateOnly(groups, ledger);
    await this.ledger.saveDeferred(
      deferred.map((group) => ({ key: group.key, record: group.record })),
      this.now(),
    );
    for (const group of deferred)
      book.settle(group.refs, {
        kind: 'skipped',
        reason: 'kept for the event that creates the call (this event only updates)',
      });

    const { writable, dead } = setAsideWithoutPhone(active, settings);
    for (const { refs, result } of dead) book.settle(refs, result);

    const plans = contactPlans(writable, settings, names);
    const contacts = await this.contacts.resolve(plans, names, settings.contact.create, options);
    const pass: Pass = {
      settings,
      names,
      plans,
      contacts,
      ledger,
      unlisted: await this.ensureOptions(writable, settings, names),
      dropped: new Map(),
      book,
      stored:
        settings.recordings.mode === 'off'
          ? new Map<string, StoredRecording>()
          : await this.recordings.storedFor(writable.map((group) => group.key)),
    };

    const plan = planCallWrites(writable, contacts, ledger, this.now());
    for (const { refs, result } of plan.settled) book.settle(refs, result);
    await this.recoverUnconfirmed(plan.unconfirmed, ledger, pass, plan.creates, plan.updates, options);

    const failures = new Map<CallGroup, InputFailure>();
    await this.createCalls(plan.creates, pass, failures);
    await this.updateCalls(plan.updates, pass, failures);
    await this.healAndRetry(failures, pass);
  }

  /**
   * Options for the intention and tag values about to be written (connector-owned enumerations only). Answers the
   * values that are not options and cannot become ones; a refusal here never stops a call (its values go as text).
   */
  private async ensureOptions(
    groups: CallGroup[],
    settings: ConnectorSettings,
    names: ConnectorPropertyNames,
  ): Promise<Set<string>> {
    const unlisted = new Set<string>();
    const wanted: Array<[string, string[]]> = [];
    if (settings.call.intention.as === 'select')
      wanted.push([
        names.intention,
        groups.map((group) => intentionValue(group.record)).filter((value): value is string => value !== null),
      ]);
    if (settings.call.tags.as === 'multi-select')
      wanted.push([names.tags, groups.flatMap((group) => tagValues(group.record))]);
    for (const [property, values] of wanted) {
      try {
        for (const value of await this.provisioner.ensureOptions('calls', property, values)) unlisted.add(value);
      } catch (error) {
        if (!(error instanceof HubSpotPermanentError)) throw error;
        this.logger.warn(
          { property, status: error.status, category: error.category },
          'HubSpot refused to read or update options; values written as text',
        );
        for (const value of values) unlisted.add(value);
      }
    }
    return unlisted;
  }

  /**
   * Creates sent before whose answer was never recorded: HubSpot may hold the call already. Found ones are
   * updated; a miss is trusted once HubSpot's search lag has passed since the create could last have been applied:
   * the intent's time, or, for an earlier leader's intent, the moment its requests surely ended
   * (`earlierLeadersDoneAt`: it sent nothing after its lease deadline, and a request sent before could still be
   * applied up to a request time-out later). Until then the call waits.
   */
  private async recoverUnconfirmed(
    unconfirmed: CallGroup[],
    ledger: Map<string, CallLedgerRow>,
    pass: Pass,
    creates: CallGroup[],
    updates: CallUpdate[],
    options: SyncPassOptions,
  ): Promise<void> {
    if (unconfirmed.length === 0) return;
    let found: Map<string, string>;
    try {
      found = await this.hubspot.searchCallsByKey(
        pass.names.callKey,
        unconfirmed.map((group) => group.key),
      );
    } catch (error) {
      if (!(error instanceof HubSpotPermanentError)) throw error;
      // A deterministic refusal of the search: these calls count an attempt; the rest of the batch goes on.
      for (const group of unconfirmed)
        pass.book.settle(group.refs, {
          kind: 'retry',
          reason: `HubSpot refused the search for an unconfirmed create: ${error.message}`,
        });
      return;
    }
    for (const group of unconfirmed) {
      const callId = found.get(group.key.toLowerCase());
      const intentAt = Date.parse(ledger.get(group.key)?.intent_at ?? '') || 0;
      const trustMissAt = Math.max(intentAt, options.earlierLeadersDoneAt ?? 0) + this.options.searchLagMs;
      if (callId) updates.push({ ...group, callId });
      else if (this.now().getTime() >= trustMissAt) creates.push(group);
      else
        pass.book.settle(group.refs, {
          kind: 'wait',
          reason: 'an earlier create of this call is unconfirmed; waiting for HubSpot search to catch up',
          notBefore: new Date(trustMissAt),
        });
    }
  }

  /**
   * Batch creates. A create whose outcome stays unknown (a 5xx, no answer) is never sent again before a lookup; a
   * call whose create went out twice that way (each time looked up and not found) is sent in ever smaller batches
   * (8, 4, 2, 1), so that a create HubSpot keeps failing cannot hold the calls it was batched with. A call
   * that fails alone while other creates go through counts an attempt (it ends dead once attempts run out); when no
   * create goes through at all, HubSpot is failing creates as a whole: an outage, which pauses sync.
   */
  private async createCalls(groups: CallGroup[], pass: Pass, failures: Map<CallGroup, InputFailure>): Promise<void> {
    const tries = (group: CallGroup) => pass.ledger.get(group.key)?.create_tries ?? 0;
    const bySize = new Map<number, CallGroup[]>();
    for (const group of groups) {
      const size = createBatchSize(tries(group));
      bySize.set(size, [...(bySize.get(size) ?? []), group]);
    }
    const chunks = [...bySize]
      .sort(([a], [b]) => b - a)
      .flatMap(([size, list]) =>
        Array.from({ length: Math.ceil(list.length / size) }, (_, index) =>
          list.slice(index * size, index * size + size),
        ),
      );
    let created = 0;
    const unknown: Array<{ chunk: CallGroup[]; error: HubSpotOutcomeUnknownError }> = [];
    for (const chunk of chunks) {
      try {
        created += await this.sendCreates(chunk, pass, failures);
      } catch (error) {
        if (!(error instanceof HubSpotOutcomeUnknownError)) throw error;
        unknown.push({ chunk, error });
        // Two creates in a row without a result, and none went through: stop spending requests on an outage.
        if (created === 0 && unknown.length >= 2) break;
      }
    }
    const notBefore = new Date(this.now().getTime() + this.options.searchLagMs);
    for (const { chunk, error } of unknown) {
      for (const group of chunk) {
        const reason = `HubSpot gave no result for the create (${error.message}); it is looked up by its key before any new create`;
        // Sent alone and still without a result: this call's create fails, whatever HubSpot does with the others.
        const alone = chunk.length === 1 && createBatchSize(tries(group)) === 1;
        pass.book.settle(
          group.refs,
          alone
            ? {
                kind: 'retry',
                reason: `${reason} (sent alone; ${tries(group) + 1} creates without a result)`,
                notBefore,
              }
            : { kind: 'wait', reason, notBefore },
        );
      }
    }
    // No create went through, and it was more than one call's: HubSpot is failing creates as a whole. Sync pauses.
    if (created === 0 && (unknown.length > 1 || (unknown[0]?.chunk.length ?? 0) > 1)) throw unknown[0]!.error;
  }

  /** One batch create; answers how many calls HubSpot created. */
  private async sendCreates(part: CallGroup[], pass: Pass, failures: Map<CallGroup, InputFailure>): Promise<number> {
    const keys = part.map((group) => group.key);
    // Durably note the creates before sending them: if the answer is lost, the next attempt looks before creating.
    // A create whose outcome is unknown (5xx, time-out) is thrown by the adapter with the intents left in place.
    await this.ledger.markCreating(keys, this.now());
    let outcome: BatchOutcome<{ id: string }>;
    try {
      outcome = await this.hubspot.createCalls(
        pass.names.callKey,
        part.map((group) => ({
          key: group.key,
          properties: this.callProperties(group, pass, null),
          contactId: this.contactOf(group, pass),
        })),
      );
    } catch (error) {
      // HubSpot surely created nothing (a 429 that outlasted its retries, the daily limit, auth): calls sent for the
      // first time need no lookup next time. Those with an earlier unknown create keep their intent.
      const nothingCreated = !(error instanceof HubSpotOutcomeUnknownError) && error instanceof HubSpotError;
      if (nothingCreated)
        await this.ledger.clearIntents(
          part.filter((group) => pass.ledger.get(group.key)?.state !== 'creating').map((group) => group.key),
        );
      throw error;
    }
    const created = part.filter((group) => outcome.succeeded.has(group.key));
    await this.ledger.saveCalls(
      created.map((group) => ({
        key: group.key,
        callId: outcome.succeeded.get(group.key)!.id,
        contactId: this.contactOf(group, pass),
        record: group.record,
      })),
      this.now(),
      recordingsToKeep(created, pass),
    );
    // Inputs HubSpot refused were not created: the next attempt may create without a lookup. An input it answered
    // nothing about keeps its intent (its outcome is unknown).
    await this.ledger.clearIntents(
      [...outcome.failed]
        .filter(([, failure]) => failure.category !== null || failure.status !== null)
        .map(([key]) => key),
    );
    for (const group of part) {
      const created = outcome.succeeded.get(group.key);
      if (created) pass.book.settle(group.refs, this.synced(group, pass, created.id));
      else failures.set(group, outcome.failed.get(group.key) ?? noResult());
    }
    return outcome.succeeded.size;
  }

  private async updateCalls(groups: CallUpdate[], pass: Pass, failures: Map<CallGroup, InputFailure>): Promise<void> {
    if (groups.length === 0) return;
    const { settings } = pass;
    // fill-if-empty on calls means: not over what is there now (a salesperson may have edited the call).
    const fillProperties = [
      ...settings.call.properties
        .filter((mapping) => mapping.mode === 'fill-if-empty')
        .map((mapping) => mapping.property),
      ...settings.answers
        .filter((answer) => answer.to === 'call' && answer.mode === 'fill-if-empty')
        .map((answer) => answer.property),
    ];
    let current = new Map<string, Record<string, string | null>>();
    if (fillProperties.length > 0) {
      try {
        current = await this.hubspot.readObjects(
          'calls',
          groups.map((group) => group.callId),
          fillProperties,
        );
      } catch (error) {
        if (!(error instanceof HubSpotPermanentError)) throw error;
        // Unknown values count as filled: fill-if-empty must never overwrite what a salesperson wrote.
        const unknown = Object.fromEntries(fillProperties.map((property) => [property, '(unknown)']));
        current = new Map(groups.map((group) => [group.callId, unknown]));
      }
    }
    for (let index = 0; index < groups.length; index += BATCH) {
      const part = groups.slice(index, index + BATCH);
      const inputs: ObjectUpdateInput[] = part.map((group) => ({
        key: group.key,
        id: group.callId,
        properties: this.callProperties(group, pass, current.get(group.callId) ?? {}),
      }));
      const outcome = await this.hubspot.updateCalls(inputs);
      const updated = part.filter((group) => outcome.succeeded.has(group.key));
      await this.ledger.saveCalls(
        updated.map((group) => ({
          key: group.key,
          callId: group.callId,
          contactId: this.contactOf(group, pass),
          record: group.record,
        })),
        this.now(),
        recordingsToKeep(updated, pass),
      );
      for (const group of part) {
        if (outcome.succeeded.has(group.key)) pass.book.settle(group.refs, this.synced(group, pass, group.callId));
        else failures.set(group, outcome.failed.get(group.key) ?? noResult());
      }
    }
  }

  /**
   * A refusal can come from a cached fact HubSpot no longer holds: a contact deleted or merged, an option an admin
   * removed, a property deleted, a call deleted. The cache is dropped, the portal looked at again, and those calls
   * written once more; whatever fails then is final for this attempt.
   */
  private async healAndRetry(failures: Map<CallGroup, InputFailure>, pass: Pass): Promise<void> {
    const healable = new Map<CallGroup, Heal>();
    for (const [group, failure] of failures) {
      const heal = failure.retryable ? null : this.healFor(group, failure, pass);
      if (heal) healable.set(group, heal);
      else this.settleFailure(group, failure, pass);
    }
    if (healable.size === 0) return;

    const kinds = new Set(healable.values());
    if (kinds.has('mapping')) {
      // Throws ProvisioningError when a mapped property is gone: the calls not yet settled go back, sync pauses.
      this.provisioner.invalidate();
      await this.provisioner.ensureReady(pass.settings, this.now().getTime());
      for (const [group, heal] of [...healable]) {
        if (heal !== 'mapping') continue;
        this.settleFailure(group, failures.get(group)!, pass);
        healable.delete(group);
      }
    }
    if (kinds.has('properties')) this.provisioner.invalidate();
    if (kinds.has('options')) this.provisioner.forgetOptions();
    if (kinds.has('properties') || kinds.has('options')) {
      await this.provisioner.ensureReady(pass.settings, this.now().getTime());
      for (const value of await this.ensureOptions([...healable.keys()], pass.settings, pass.names))
        pass.unlisted.add(value);
    }
    const settled = new Set<CallGroup>();
    if (kinds.has('contact')) {
      const groups = [...healable].filter(([, heal]) => heal === 'contact').map(([group]) => group);
      const byNumber = new Map(
        groups.map((group) => [group.record.customer.phone.e164!, this.contactOf(group, pass)!]),
      );
      const healed = await this.contacts.heal(byNumber, pass.plans, pass.names, pass.settings.contact.create);
      for (const group of groups) {
        const e164 = group.record.customer.phone.e164!;
        const id = healed?.ids.get(e164);
        const failure = healed?.failures.get(e164);
        if (id) pass.contacts.ids.set(e164, id);
        if (failure) {
          pass.book.settle(group.refs, failureResult('contact', failure, this.now()));
          settled.add(group);
        } else if (!id) {
          // The contact exists: the refusal was about something else.
          this.settleFailure(group, failures.get(group)!, pass);
          settled.add(group);
        }
      }
    }
    const callGone = [...healable].filter(([, heal]) => heal === 'call-gone').map(([group]) => group);
    if (callGone.length > 0) {
      this.logger.warn(
        { calls: callGone.length },
        'HubSpot no longer has calls the ledger named (deleted in HubSpot); logging them again',
      );
      await this.ledger.forgetCalls(callGone.map((group) => group.key));
    }
    const again = [...healable.keys()].filter((group) => !settled.has(group));
    const retried = new Map<CallGroup, InputFailure>();
    await this.createCalls(
      again.filter((group) => !('callId' in group) || healable.get(group) === 'call-gone').map(stripCallId),
      pass,
      retried,
    );
    await this.updateCalls(
      again.filter((group): group is CallUpdate => 'callId' in group && healable.get(group) !== 'call-gone'),
      pass,
      retried,
    );
    for (const [group, failure] of retried) this.settleFailure(group, failure, pass);
  }

  /** Which cached fact a refusal may be about, if any. */
  private healFor(group: CallGroup, failure: InputFailure, pass: Pass): Heal | null {
    const codes = failure.details.codes;
    const named = failure.details.properties;
    const owned = new Set([...callPropertyDefinitions(pass.names, pass.settings).map((definition) => definition.name)]);
    if (
      codes.includes('INVALID_OPTION') &&
      named.some((property) => property === pass.names.intention || property === pass.names.tags)
    )
      return 'options';
    if (codes.includes('PROPERTY_DOESNT_EXIST') && named.some((property) => owned.has(property))) return 'properties';
    if (codes.includes('PROPERTY_DOESNT_EXIST')) return 'mapping';
    if (codes.includes('INVALID_OPTION') || codes.includes('PROPERTY_DOESNT_EXIST') || isRequiredFailure(failure))
      return null;
    const notFound =
      failure.category === 'OBJECT_NOT_FOUND' || failure.status === 404 || codes.includes('OBJECT_NOT_FOUND');
    if ('callId' in group) return notFound ? 'call-gone' : null;
    // A create refused for any other reason may be about its association: check the contact it names.
    return this.contactOf(group, pass) ? 'contact' : null;
  }

  private settleFailure(group: CallGroup, failure: InputFailure, pass: Pass): void {
    const sent = this.callProperties(group, pass, null);
    pass.book.settle(group.refs, failureResult('call', explainRefusal(failure, 'calls', sent), this.now()));
  }

  private callProperties(
    group: CallGroup,
    pass: Pass,
    current: Record<string, string | null> | null,
  ): Record<string, string> {
    const { properties, dropped } = callWrite(group.record, pass.settings, pass.names, {
      fallbackTimestamp: group.receivedAt,
      outcomeIds: this.provisioner.outcomeIds,
      current,
      unlisted: pass.unlisted,
    });
    if (dropped && dropped.length > 0)
      pass.dropped.set(
        group.key,
        dropped.map(({ property, reason }) => `${property} not written: ${reason}`).join('; '),
      );
    // A recording kept in HubSpot stands in for the vendor's link, which expires: the kept file's URL (link mode),
    // or no link at all (attach mode: the file is attached to the call).
    const stored = pass.stored.get(group.key);
    if (stored?.mode === 'link' && stored.fileUrl) properties['hs_call_recording_url'] = stored.fileUrl;
    else if (stored) delete properties['hs_call_recording_url'];
    return this.provisioner.writable('calls', properties);
  }

  private contactOf(group: CallGroup, pass: Pass): string | null {
    const e164 = group.record.customer.phone.e164;
    return e164 ? (pass.contacts.ids.get(e164) ?? null) : null;
  }

  /** A synced call, with a warning if a value of it or of its contact was left out. */
  private synced(group: CallGroup, pass: Pass, callId: string): SyncResult {
    const e164 = group.record.customer.phone.e164;
    const warning = [e164 ? pass.contacts.warnings.get(e164) : undefined, pass.dropped.get(group.key)]
      .filter(Boolean)
      .join('; ');
    return { kind: 'synced', contactId: this.contactOf(group, pass), callId, ...(warning ? { warning } : {}) };
  }
}

/** The recordings to keep of calls just saved: each call's audio source as its vendor serves it (none when off). */
function recordingsToKeep(groups: CallGroup[], pass: Pass): RecordingEntry[] {
  if (pass.settings.recordings.mode === 'off') return [];
  const entries: RecordingEntry[] = [];
  for (const group of groups) {
    if (pass.stored.has(group.key)) continue;
    const { record } = group;
    const source = (vendorDefinition(record.vendor)?.recordingSource ?? defaultRecordingSource)(record);
    if (source)
      entries.push({
        callKey: group.key,
        vendor: record.vendor,
        vendorCallId: record.vendorCallId,
        source: JSON.stringify(source),
      });
  }
  return entries;
}

function stripCallId(group: CallGroup | CallUpdate): CallGroup {
  if (!('callId' in group)) return group;
  const { callId: _callId, ...rest } = group;
  return rest;
}

/**
 * Results per inbox event. An event may carry several calls: its result is known once each of them is settled, and
 * the least final one counts (a call to retry makes the event retry; its synced calls are updates next time).
 */
class ResultBook {
  private readonly settled = new Map<number, SyncResult>();
  private readonly open = new Map<number, number>();

  expect(refs: number[]): void {
    for (const ref of refs) this.open.set(ref, (this.open.get(ref) ?? 0) + 1);
  }

  settle(refs: number[], result: SyncResult): void {
    for (const ref of refs) {
      this.open.set(ref, (this.open.get(ref) ?? 1) - 1);
      this.settleRef(ref, result);
    }
  }

  settleRef(ref: number, result: SyncResult): void {
    const previous = this.settled.get(ref);
    if (!previous || RANK[result.kind] > RANK[previous.kind]) this.settled.set(ref, result);
  }

  /** Results of events whose every call is settled. */
  results(): Map<number, SyncResult> {
    return new Map([...this.settled].filter(([ref]) => (this.open.get(ref) ?? 0) <= 0));
  }
}

const RANK: Record<SyncResult['kind'], number> = { skipped: 0, synced: 1, dead: 2, wait: 3, retry: 4 };

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
