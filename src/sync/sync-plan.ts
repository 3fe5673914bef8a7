import { ownValue } from '../common/own-value.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { mergeCallRecords } from '../mapping/call-record-merge.js';
import type { ConnectorPropertyNames } from '../mapping/connector-properties.js';
import { vendorCallKey } from '../mapping/hubspot-call-mapping.js';
import { contactPlan, type ContactPlan } from '../mapping/hubspot-write-plan.js';
import type { CallLedgerRow } from '../store/ledger.repository.js';
import type { CallRecord } from '../vendors/call-record.js';
import { refusalDetail } from '../hubspot/hubspot-errors.js';
import type { InputFailure } from '../hubspot/hubspot.port.js';
import type { ContactResolution } from './contact-resolver.js';

/**
 * The decisions of one sync pass, before anything is written: which events are configured to sync, how they group
 * into vendor calls, which calls wait for the event that creates them or have no phone, what each number's contact
 * should carry, and which calls are created, updated or looked up first. Pure functions over the batch, the ledger's
 * rows and the contact resolution; `HubSpotSyncService` runs them in order and carries out the plan.
 */

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
  /** Failed this time: tried again later, counting an attempt (dead once attempts run out). */
  | { kind: 'retry'; reason: string; notBefore?: Date }
  /** Not the call's fault (HubSpot's search must catch up first): tried again at `notBefore`, no attempt counted. */
  | { kind: 'wait'; reason: string; notBefore: Date }
  | { kind: 'dead'; reason: string };

/** The events of one vendor call in a batch, merged onto what the ledger holds from earlier events. */
export interface CallGroup {
  key: string;
  refs: number[];
  records: CallRecord[];
  record: CallRecord;
  receivedAt: string;
  /** Some event of the group may create the call (per `vendors.<v>.events`). */
  mayCreate: boolean;
}

export type CallUpdate = CallGroup & { callId: string };

/** A decision that settles events without a write. */
export interface Settlement {
  refs: number[];
  result: SyncResult;
}

/** Phase 1: events whose vendor configuration names them (`events.create` or `events.update`); the rest are skipped. */
export function selectConfigured(
  items: SyncItem[],
  settings: ConnectorSettings,
): { syncable: SyncItem[]; skipped: Settlement[] } {
  const syncable: SyncItem[] = [];
  const skipped: Settlement[] = [];
  for (const item of items) {
    const events = ownValue(settings.vendors, item.record.vendor)?.events;
    const listed =
      events && (events.create.includes(item.record.eventName) || events.update.includes(item.record.eventName));
    if (listed) syncable.push(item);
    else
      skipped.push({
        refs: [item.ref],
        result: { kind: 'skipped', reason: `${item.record.eventName} is not configured to create or update calls` },
      });
  }
  return { syncable, skipped };
}

/** Phase 2: one group per vendor call (several events of one call in a batch make one write). */
export function groupByCall(items: SyncItem[], settings: ConnectorSettings): CallGroup[] {
  const groups = new Map<string, CallGroup>();
  for (const item of items) {
    const key = vendorCallKey(item.record);
    const mayCreate =
      ownValue(settings.vendors, item.record.vendor)?.events.create.includes(item.record.eventName) ?? false;
    const group = groups.get(key);
    if (group) {
      group.refs.push(item.ref);
      group.records.push(item.record);
      group.record = mergeCallRecords(group.record, item.record);
      group.mayCreate ||= mayCreate;
    } else
      groups.set(key, {
        key,
        refs: [item.ref],
        records: [item.record],
        record: item.record,
        receivedAt: item.receivedAt,
        mayCreate,
      });
  }
  return [...groups.values()];
}

/** Phase 2, second half: each group merged onto the record the ledger holds from the call's earlier events. */
export function mergeOntoLedger(groups: CallGroup[], ledger: Map<string, CallLedgerRow>): void {
  for (const group of groups) {
    const known = ledger.get(group.key)?.record;
    if (known) group.record = mergeCallRecords(JSON.parse(known) as CallRecord, group.record);
  }
}

/** Phase 3: update-only events of a call not created yet are kept for the event that creates it. */
export function holdUpdateOnly(
  groups: CallGroup[],
  ledger: Map<string, CallLedgerRow>,
): { deferred: CallGroup[]; active: CallGroup[] } {
  const deferred = groups.filter((group) => !group.mayCreate && ledger.get(group.key)?.state !== 'synced');
  return { deferred, active: groups.filter((group) => !deferred.includes(group)) };
}

/** Phase 4: calls without a valid customer number, dead-lettered unless the mapping logs them without a contact. */
export function setAsideWithoutPhone(
  groups: CallGroup[],
  settings: ConnectorSettings,
): { writable: CallGroup[]; dead: Settlement[] } {
  if (settings.hubspot.callsWithoutPhone !== 'dead-letter') return { writable: groups, dead: [] };
  const withoutPhone = groups.filter((group) => group.record.customer.phone.e164 === null);
  return {
    writable: groups.filter((group) => !withoutPhone.includes(group)),
    dead: withoutPhone.map((group) => ({
      refs: group.refs,
      result: { kind: 'dead', reason: 'the call has no valid customer phone number, so no contact to log it on' },
    })),
  };
}

/** Phase 5: what each number's contact should carry, from every record of the batch with that number. */
export function contactPlans(
  groups: CallGroup[],
  settings: ConnectorSettings,
  names: ConnectorPropertyNames,
): Map<string, ContactPlan> {
  const recordsByNumber = new Map<string, CallRecord[]>();
  for (const group of groups) {
    const e164 = group.record.customer.phone.e164;
    if (e164) recordsByNumber.set(e164, [...(recordsByNumber.get(e164) ?? []), ...group.records]);
  }
  const plans = new Map<string, ContactPlan>();
  for (const [e164, records] of recordsByNumber) plans.set(e164, contactPlan(records, settings, names));
  return plans;
}

/** The call writes one pass sends, with the calls settled without a write. */
export interface CallWritePlan {
  creates: CallGroup[];
  updates: CallUpdate[];
  /** Creates sent before whose answer was never recorded: looked up by key before anything else. */
  unconfirmed: CallGroup[];
  settled: Settlement[];
}

/**
 * Phase 6: per call, after its contact is resolved: wait (its new number shares the next batch's search), fail with
 * its contact, update the call the ledger knows, look up an unconfirmed create, or create.
 */
export function planCallWrites(
  groups: CallGroup[],
  contacts: ContactResolution,
  ledger: Map<string, CallLedgerRow>,
  now: Date,
): CallWritePlan {
  const plan: CallWritePlan = { creates: [], updates: [], unconfirmed: [], settled: [] };
  for (const group of groups) {
    const e164 = group.record.customer.phone.e164;
    if (e164 && contacts.deferred.has(e164)) {
      plan.settled.push({
        refs: group.refs,
        result: {
          kind: 'wait',
          reason: 'left for the next batch, to share its HubSpot contact search',
          notBefore: now,
        },
      });
      continue;
    }
    const contactFailure = e164 ? contacts.failures.get(e164) : undefined;
    if (contactFailure) {
      plan.settled.push({ refs: group.refs, result: callWriteFailure('contact', contactFailure, now) });
      continue;
    }
    const known = ledger.get(group.key);
    if (known?.state === 'synced' && known.call_id) plan.updates.push({ ...group, callId: known.call_id });
    else if (known?.state === 'creating') plan.unconfirmed.push(group);
    else plan.creates.push(group);
  }
  return plan;
}

/** Before an input left unresolved by a batch HubSpot refused as a whole is sent again. */
const UNRESOLVED_WAIT_MS = 5_000;

/** A refused contact or call as a result: waits when its part in a whole-batch refusal is unknown, else retry or dead. */
export function callWriteFailure(what: 'contact' | 'call', failure: InputFailure, now: Date): SyncResult {
  const reason = `HubSpot refused the ${what}: ${failure.message}${refusalDetail(failure)}`;
  if (failure.unresolved)
    return {
      kind: 'wait',
      reason: `${reason}; its part in that refusal is not known yet, so it is sent again`,
      notBefore: new Date(now.getTime() + UNRESOLVED_WAIT_MS),
    };
  return failure.retryable ? { kind: 'retry', reason } : { kind: 'dead', reason };
}
