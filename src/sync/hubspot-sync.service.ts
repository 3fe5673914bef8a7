import type { ConnectorSettings, VendorId } from '../config/connector-settings.js';
import { HubSpotAuthError, HubSpotDailyLimitError, HubSpotRetryableError } from '../hubspot/hubspot-errors.js';
import type { HubSpotProvisioner } from '../hubspot/hubspot-provisioner.js';
import type { HubSpotPort, InputFailure, ObjectUpdateInput } from '../hubspot/hubspot.port.js';
import type { AppLogger } from '../logging/app-logger.js';
import { mergeCallRecords } from '../mapping/call-record-merge.js';
import { connectorPropertyNames, type ConnectorPropertyNames } from '../mapping/connector-properties.js';
import { vendorCallKey } from '../mapping/hubspot-call-mapping.js';
import { callWrite, contactPlan, intentionValue, tagValues, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import type { CallLedgerRow, LedgerRepository } from '../store/ledger.repository.js';
import type { CallRecord } from '../vendors/call-record.js';
import { ContactResolver, type ContactResolution } from './contact-resolver.js';

export interface SyncItem {
  /** The caller's reference (the inbox event id). */
  ref: number;
  record: CallRecord;
  /** When the connector received the event: the call's time if the vendor sent none. */
  receivedAt: string;
}

export type SyncResult =
  | { kind: 'synced'; contactId: string | null; callId: string; warning?: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'retry'; reason: string; notBefore?: Date }
  | { kind: 'dead'; reason: string };

export interface SyncOptions {
  /**
   * How long HubSpot's search may lag behind a write. A call whose create was sent but whose answer was never
   * recorded (a crash, a time-out) is looked up by its key before being created again; a miss is trusted only
   * once the create is older than this.
   */
  searchLagMs: number;
}

const BATCH = 100;

interface CallGroup {
  key: string;
  refs: number[];
  records: CallRecord[];
  record: CallRecord;
  receivedAt: string;
  /** Some event of the group may create the call (per `vendors.<v>.events`). */
  mayCreate: boolean;
}

/**
 * Writes a batch of call records to HubSpot under the current mapping: contacts by phone (see `ContactResolver`),
 * then one call engagement per vendor call (batch create, associated to the contact, or batch update of the call
 * the ledger knows). Input-level failures become per-record results; failures of HubSpot as a whole (daily limit,
 * auth, outage) are thrown for the worker to pause on, after which the same records are simply tried again: every
 * step is idempotent.
 */
export class HubSpotSyncService {
  private readonly contacts: ContactResolver;

  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly provisioner: HubSpotProvisioner,
    private readonly ledger: LedgerRepository,
    private readonly options: SyncOptions,
    private readonly logger: AppLogger,
    private readonly now: () => Date,
  ) {
    this.contacts = new ContactResolver(hubspot, ledger, logger, now);
  }

  async sync(items: SyncItem[], settings: ConnectorSettings): Promise<Map<number, SyncResult>> {
    const results = new Map<number, SyncResult>();
    if (items.length === 0) return results;
    await this.provisioner.ensureReady(settings);
    const names = connectorPropertyNames(settings);

    const syncable = items.filter((item) => {
      const events = settings.vendors[item.record.vendor as VendorId]?.events;
      const listed = events && (events.create.includes(item.record.eventName) || events.update.includes(item.record.eventName));
      if (!listed) results.set(item.ref, { kind: 'skipped', reason: `${item.record.eventName} is not configured to create or update calls` });
      return listed;
    });
    const { groups, ledger } = await this.groupByCall(syncable, settings);

    // Update-only events of a call that does not exist yet: keep their data for the event that creates it.
    const deferred = groups.filter((group) => !group.mayCreate && ledger.get(group.key)?.state !== 'synced');
    await this.ledger.saveDeferred(deferred.map((group) => ({ key: group.key, record: group.record })), this.now());
    for (const group of deferred) this.settle(results, group, { kind: 'skipped', reason: 'kept for the event that creates the call (this event only updates)' });
    const active = groups.filter((group) => !deferred.includes(group));

    const withoutPhone = active.filter((group) => group.record.customer.phone.e164 === null);
    if (settings.hubspot.callsWithoutPhone === 'dead-letter') {
      for (const group of withoutPhone) this.settle(results, group, { kind: 'dead', reason: 'the call has no valid customer phone number, so no contact to log it on' });
    }
    const writable = settings.hubspot.callsWithoutPhone === 'dead-letter' ? active.filter((group) => !withoutPhone.includes(group)) : active;

    const plans = new Map<string, ContactPlan>();
    const recordsByNumber = new Map<string, CallRecord[]>();
    for (const group of writable) {
      const e164 = group.record.customer.phone.e164;
      if (e164) recordsByNumber.set(e164, [...(recordsByNumber.get(e164) ?? []), ...group.records]);
    }
    for (const [e164, records] of recordsByNumber) plans.set(e164, contactPlan(records, settings, names));
    const contacts = await this.contacts.resolve(plans, names, settings.contact.create);

    if (settings.call.intention.as === 'select') {
      await this.provisioner.ensureOptions('calls', names.intention, writable.map((group) => intentionValue(group.record)).filter((value): value is string => value !== null));
    }
    if (settings.call.tags.as === 'multi-select') await this.provisioner.ensureOptions('calls', names.tags, writable.flatMap((group) => tagValues(group.record)));

    const creates: CallGroup[] = [];
    const updates: Array<CallGroup & { callId: string }> = [];
    const unconfirmed: CallGroup[] = [];
    for (const group of writable) {
      const e164 = group.record.customer.phone.e164;
      const contactFailure = e164 ? contacts.failures.get(e164) : undefined;
      if (contactFailure) {
        this.settle(results, group, failureResult('contact', contactFailure));
        continue;
      }
      const known = ledger.get(group.key);
      if (known?.state === 'synced' && known.call_id) updates.push({ ...group, callId: known.call_id });
      else if (known?.state === 'creating') unconfirmed.push(group);
      else creates.push(group);
    }

    // Creates sent before whose answer was never recorded: HubSpot may hold the call already.
    if (unconfirmed.length > 0) {
      const found = await this.hubspot.searchCallsByKey(names.callKey, unconfirmed.map((group) => group.key));
      for (const group of unconfirmed) {
        const callId = found.get(group.key.toLowerCase());
        const intentAt = Date.parse(ledger.get(group.key)?.intent_at ?? '') || 0;
        if (callId) updates.push({ ...group, callId });
        else if (this.now().getTime() - intentAt >= this.options.searchLagMs) creates.push(group);
        else this.settle(results, group, { kind: 'retry', reason: 'an earlier create of this call is unconfirmed; waiting for HubSpot search to catch up', notBefore: new Date(intentAt + this.options.searchLagMs) });
      }
    }

    await this.createCalls(creates, contacts, settings, names, results);
    await this.updateCalls(updates, contacts, settings, names, results);
    return results;
  }

  /** One group per vendor call, merged onto what the ledger holds; the ledger rows come back for the caller. */
  private async groupByCall(items: SyncItem[], settings: ConnectorSettings): Promise<{ groups: CallGroup[]; ledger: Map<string, CallLedgerRow> }> {
    const groups = new Map<string, CallGroup>();
    for (const item of items) {
      const key = vendorCallKey(item.record);
      const mayCreate = settings.vendors[item.record.vendor as VendorId]!.events.create.includes(item.record.eventName);
      const group = groups.get(key);
      if (group) {
        group.refs.push(item.ref);
        group.records.push(item.record);
        group.record = mergeCallRecords(group.record, item.record);
        group.mayCreate ||= mayCreate;
      } else groups.set(key, { key, refs: [item.ref], records: [item.record], record: item.record, receivedAt: item.receivedAt, mayCreate });
    }
    // One write per vendor call: merged onto what the ledger holds from earlier events.
    const ledger = await this.ledger.calls([...groups.keys()]);
    for (const group of groups.values()) {
      const known = ledger.get(group.key)?.record;
      if (known) group.record = mergeCallRecords(JSON.parse(known) as CallRecord, group.record);
    }
    return { groups: [...groups.values()], ledger };
  }

  private async createCalls(
    groups: CallGroup[],
    contacts: ContactResolution,
    settings: ConnectorSettings,
    names: ConnectorPropertyNames,
    results: Map<number, SyncResult>,
  ): Promise<void> {
    for (let index = 0; index < groups.length; index += BATCH) {
      const part = groups.slice(index, index + BATCH);
      const keys = part.map((group) => group.key);
      // Durably note the creates before sending them: if the answer is lost, the next attempt looks before creating.
      await this.ledger.markCreating(keys, this.now());
      let outcome;
      try {
        outcome = await this.hubspot.createCalls(
          names.callKey,
          part.map((group) => ({ key: group.key, properties: this.callProperties(group, settings, names, null), contactId: this.contactOf(group, contacts) })),
        );
      } catch (error) {
        // These answers mean HubSpot created nothing; anything else (a time-out, a 5xx) leaves it unknown.
        const nothingCreated = error instanceof HubSpotDailyLimitError || error instanceof HubSpotAuthError || (error instanceof HubSpotRetryableError && error.status === 429);
        if (nothingCreated) await this.ledger.clearIntents(keys);
        throw error;
      }
      await this.ledger.saveCalls(
        part.filter((group) => outcome.succeeded.has(group.key)).map((group) => ({ key: group.key, callId: outcome.succeeded.get(group.key)!.id, contactId: this.contactOf(group, contacts), record: group.record })),
        this.now(),
      );
      await this.ledger.clearIntents([...outcome.failed.keys()]);
      for (const group of part) {
        const created = outcome.succeeded.get(group.key);
        if (created) this.settle(results, group, this.synced(group, contacts, created.id));
        else this.settle(results, group, failureResult('call', outcome.failed.get(group.key)));
      }
    }
  }

  private async updateCalls(
    groups: Array<CallGroup & { callId: string }>,
    contacts: ContactResolution,
    settings: ConnectorSettings,
    names: ConnectorPropertyNames,
    results: Map<number, SyncResult>,
  ): Promise<void> {
    // fill-if-empty on calls means: not over what is there now (a salesperson may have edited the call).
    const fillProperties = [
      ...settings.call.properties.filter((mapping) => mapping.mode === 'fill-if-empty').map((mapping) => mapping.property),
      ...settings.answers.filter((answer) => answer.to === 'call' && answer.mode === 'fill-if-empty').map((answer) => answer.property),
    ];
    const current = fillProperties.length > 0 && groups.length > 0 ? await this.hubspot.readObjects('calls', groups.map((group) => group.callId), fillProperties) : new Map<string, Record<string, string | null>>();
    for (let index = 0; index < groups.length; index += BATCH) {
      const part = groups.slice(index, index + BATCH);
      const inputs: ObjectUpdateInput[] = part.map((group) => ({ key: group.key, id: group.callId, properties: this.callProperties(group, settings, names, current.get(group.callId) ?? {}) }));
      const outcome = await this.hubspot.updateCalls(inputs);
      await this.ledger.saveCalls(
        part.filter((group) => outcome.succeeded.has(group.key)).map((group) => ({ key: group.key, callId: group.callId, contactId: this.contactOf(group, contacts), record: group.record })),
        this.now(),
      );
      for (const group of part) {
        if (outcome.succeeded.has(group.key)) this.settle(results, group, this.synced(group, contacts, group.callId));
        else this.settle(results, group, failureResult('call', outcome.failed.get(group.key)));
      }
    }
  }

  private callProperties(group: CallGroup, settings: ConnectorSettings, names: ConnectorPropertyNames, current: Record<string, string | null> | null) {
    return callWrite(group.record, settings, names, { fallbackTimestamp: group.receivedAt, outcomeIds: this.provisioner.outcomeIds, current }).properties;
  }

  private contactOf(group: CallGroup, contacts: ContactResolution): string | null {
    const e164 = group.record.customer.phone.e164;
    return e164 ? contacts.ids.get(e164) ?? null : null;
  }

  /** A synced call, with the warning if HubSpot refused some of its contact's values. */
  private synced(group: CallGroup, contacts: ContactResolution, callId: string): SyncResult {
    const e164 = group.record.customer.phone.e164;
    const warning = e164 ? contacts.warnings.get(e164) : undefined;
    return { kind: 'synced', contactId: this.contactOf(group, contacts), callId, ...(warning ? { warning } : {}) };
  }

  private settle(results: Map<number, SyncResult>, group: CallGroup, result: SyncResult): void {
    for (const ref of group.refs) results.set(ref, result);
  }
}

function failureResult(what: 'contact' | 'call', failure: InputFailure | undefined): SyncResult {
  if (!failure) return { kind: 'retry', reason: `HubSpot gave no result for the ${what}` };
  const detail = [failure.category, failure.correlationId ? `correlation id ${failure.correlationId}` : null].filter(Boolean).join(', ');
  const reason = `HubSpot refused the ${what}: ${failure.message}${detail ? ` (${detail})` : ''}`;
  return failure.retryable ? { kind: 'retry', reason } : { kind: 'dead', reason };
}
