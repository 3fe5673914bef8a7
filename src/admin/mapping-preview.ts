import { PayloadValidationError } from '../common/payload-validation.js';
import { NotLeadingError, UnknownVendorError } from '../common/app-error.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { HubSpotError } from '../hubspot/hubspot-errors.js';
import type { HubSpotPort, Properties } from '../hubspot/hubspot.port.js';
import type { LedgerRepository } from '../store/ledger.repository.js';
import { holdsNumber, nationalVariants } from '../sync/contact-matching.js';
import type { CallRecord } from '../vendors/call-record.js';
import { buildVendors, type Vendor } from '../config/vendors-in-force.js';
import { mergeCallRecords } from '../mapping/call-record-merge.js';
import { connectorPropertyNames } from '../mapping/connector-properties.js';
import { vendorCallKey } from '../mapping/hubspot-call-mapping.js';
import { callWrite, contactPlan, contactWrite } from '../mapping/hubspot-write-plan.js';
import { ownValue } from '../common/own-value.js';

export interface CallPreview {
  callKey: string;
  event: string;
  record: CallRecord;
  contact:
    | { action: 'none'; reason: string }
    | {
        action: 'create' | 'update';
        id: string | null;
        properties: Properties;
        skipped: Array<{ property: string; reason: string }>;
      };
  call: {
    action: 'create' | 'update' | 'wait';
    id: string | null;
    properties: Properties;
    skipped: Array<{ property: string; reason: string }>;
    reason?: string;
  };
}

export interface MappingPreviewResult {
  vendor: string;
  hubspotChecked: boolean;
  notes: string[];
  calls: CallPreview[];
}

/**
 * What a payload would write to HubSpot under a mapping, without writing anything: the same planning functions the
 * sync uses, against what the ledger and (where reachable) HubSpot hold now for the contact and the call.
 */
/** Calls a preview looks at, at most. */
export const MAX_PREVIEW_EVENTS = 5;

/**
 * HubSpot searches previews may spend: a burst of 5, then one every 2 s (a tenth of the account's 5 searches a
 * second, which the sync shares), however often an admin previews.
 */
export const PREVIEW_SEARCH_BURST = 5;
export const PREVIEW_SEARCH_INTERVAL_MS = 2_000;

export class MappingPreview {
  private searchTokens = PREVIEW_SEARCH_BURST;
  private searchTokensAt: number | null = null;

  constructor(
    private readonly ledger: LedgerRepository | null,
    private readonly hubspot: HubSpotPort | null,
    private readonly outcomeIds: () => Promise<Map<string, string>>,
  ) {}

  async preview(
    vendorId: string,
    payload: unknown,
    settings: ConnectorSettings,
    now: Date = new Date(),
  ): Promise<MappingPreviewResult> {
    const vendor = buildVendors(settings, () => now).get(vendorId);
    if (!vendor) throw new UnknownVendorError();
    // The payload is checked before HubSpot is asked anything: a bad one costs no request.
    return this.previewItems(vendor, vendor.webhook.split(payload), settings, now);
  }

  /**
   * What one stored event (as the webhook's splitter stored it: its key, name and payload) would write under a
   * mapping: the inbox holds events already split, which the worker maps one by one, and so does this.
   */
  async previewEvent(
    vendorId: string,
    event: { eventKey: string; eventName: string; payload: unknown },
    settings: ConnectorSettings,
    now: Date = new Date(),
  ): Promise<MappingPreviewResult> {
    const vendor = buildVendors(settings, () => now).get(vendorId);
    if (!vendor) throw new UnknownVendorError();
    return this.previewItems(vendor, [event], settings, now);
  }

  private async previewItems(
    vendor: Vendor,
    items: Array<{ eventKey: string; eventName: string; payload: unknown }>,
    settings: ConnectorSettings,
    now: Date,
  ): Promise<MappingPreviewResult> {
    const names = connectorPropertyNames(settings);
    const result: MappingPreviewResult = { vendor: vendor.id, hubspotChecked: false, notes: [], calls: [] };
    let reachable = this.hubspot !== null;
    let outcomes = new Map<string, string>();
    if (reachable) {
      try {
        outcomes = await this.outcomeIds();
      } catch (error) {
        if (!(error instanceof HubSpotError || error instanceof NotLeadingError)) throw error;
        reachable = false;
        // Only the syncing instance sends to HubSpot (one rate limiter for the portal's quota).
        if (error instanceof NotLeadingError)
          result.notes.push('this instance stands by (another one syncs): ask the syncing instance to check HubSpot');
      }
    }
    result.hubspotChecked = reachable;
    if (!reachable)
      result.notes.push('HubSpot was not asked: contacts are shown as new, write modes as for a new contact');

    // A preview looks at a few calls: each may cost a HubSpot search (5 a second for the whole account, shared with
    // the sync), so a batch of 100 must not spend a hundred of them.
    if (items.length > MAX_PREVIEW_EVENTS)
      result.notes.push(
        `the first ${MAX_PREVIEW_EVENTS} of ${items.length} calls are shown (a preview looks at a few calls, not a batch)`,
      );
    for (const item of items.slice(0, MAX_PREVIEW_EVENTS)) {
      let mapped;
      try {
        mapped = vendor.mapper.map({ eventName: item.eventName, payload: item.payload }, vendor.mappingContext);
      } catch (error) {
        if (error instanceof PayloadValidationError) {
          result.notes.push(`${item.eventKey}: would be dead-lettered: invalid payload: ${error.message}`);
          continue;
        }
        throw error;
      }
      if (mapped.kind === 'skipped') {
        result.notes.push(`${item.eventKey}: stored and skipped: ${mapped.reason}`);
        continue;
      }
      for (const record of mapped.records)
        result.calls.push(await this.previewCall(record, settings, names, reachable, outcomes, now, result.notes));
    }
    return result;
  }

  private async previewCall(
    incoming: CallRecord,
    settings: ConnectorSettings,
    names: ReturnType<typeof connectorPropertyNames>,
    reachable: boolean,
    outcomeIds: Map<string, string>,
    now: Date,
    notes: string[],
  ): Promise<CallPreview> {
    const key = vendorCallKey(incoming);
    const knownCall = (await this.ledger?.calls([key]))?.get(key);
    const record = knownCall?.record
      ? mergeCallRecords(JSON.parse(knownCall.record) as CallRecord, incoming)
      : incoming;
    const events = ownValue(settings.vendors, record.vendor)?.events ?? { create: [], update: [] };
    const e164 = record.customer.phone.e164;

    let contact: CallPreview['contact'];
    if (!e164)
      contact = {
        action: 'none',
        reason:
          settings.hubspot.callsWithoutPhone === 'dead-letter'
            ? 'no valid phone number: the call would be dead-lettered'
            : 'no valid phone number: the call is logged without a contact',
      };
    else {
      const plan = contactPlan([record], settings, names);
      const found = await this.findContact(
        e164,
        Object.keys(plan.fillIfEmpty),
        names.uniquePhone,
        reachable,
        now,
        (note) => notes.push(`${key}: ${note}`),
      );
      if (!found && !settings.contact.create)
        contact = {
          action: 'none',
          reason: 'unknown number and contact.create is false: the call is logged without a contact',
        };
      else {
        const write = contactWrite(plan, { created: !found, current: found?.current ?? {} });
        const properties = found ? write.properties : { [names.uniquePhone]: e164, ...write.properties };
        contact = { action: found ? 'update' : 'create', id: found?.id ?? null, properties, skipped: write.skipped };
      }
    }

    const callId = knownCall?.state === 'synced' ? knownCall.call_id : null;
    let current: Record<string, string | null> | null = null;
    if (callId && reachable && this.hubspot) {
      const fill = [...settings.call.properties, ...settings.answers.filter((answer) => answer.to === 'call')]
        .filter((mapping) => mapping.mode === 'fill-if-empty')
        .map((mapping) => mapping.property);
      if (fill.length > 0) current = (await this.hubspot.readObjects('calls', [callId], fill)).get(callId) ?? {};
    }
    const write = callWrite(record, settings, names, { fallbackTimestamp: now.toISOString(), outcomeIds, current });
    const mayCreate =
      events.create.includes(record.eventName) ||
      (knownCall?.state === 'deferred' && events.create.includes(incoming.eventName));
    const action = callId ? 'update' : mayCreate ? 'create' : 'wait';
    return {
      callKey: key,
      event: incoming.eventName,
      record,
      contact,
      call: {
        action,
        id: callId,
        properties: write.properties,
        skipped: write.skipped,
        ...(action === 'wait'
          ? { reason: 'this event only updates; its data waits for an event that creates the call' }
          : {}),
      },
    };
  }

  /** The contact the number maps to now: the ledger's, or one HubSpot holds (by our key or its phone). */
  private async findContact(
    e164: string,
    fillProperties: string[],
    keyProperty: string,
    reachable: boolean,
    now: Date,
    note: (text: string) => void,
  ): Promise<{ id: string; current: Record<string, string | null> } | null> {
    const known = (await this.ledger?.contacts([e164]))?.get(e164);
    if (!reachable || !this.hubspot)
      return known
        ? { id: known.contactId, current: Object.fromEntries([...known.filled].map((property) => [property, 'set'])) }
        : null;
    let id = known?.contactId ?? null;
    if (!id) {
      const waitMs = this.takeSearch(now);
      if (waitMs > 0) {
        note(
          `HubSpot was not searched for this number: previews spend at most one contact search every ${PREVIEW_SEARCH_INTERVAL_MS / 1_000} s (the sync needs the rest); it is shown as a new contact; preview again in ${Math.ceil(waitMs / 1_000)} s to see the one HubSpot holds`,
        );
        return null;
      }
      const matches = (
        await this.hubspot.searchContactsByNationalNumber(nationalVariants(e164), [keyProperty, 'phone', 'mobilephone'])
      ).filter((contact) => holdsNumber(contact, e164, keyProperty));
      id = matches.find((contact) => ownValue(contact.properties, keyProperty) === e164)?.id ?? matches[0]?.id ?? null;
    }
    if (!id) return null;
    const current =
      (await this.hubspot.readObjects('contacts', [id], fillProperties.length > 0 ? fillProperties : ['phone'])).get(
        id,
      ) ?? {};
    return { id, current };
  }

  /** Takes one search from the previews' budget: 0 if taken, else how long until one is free. */
  private takeSearch(now: Date): number {
    const at = now.getTime();
    if (this.searchTokensAt !== null)
      this.searchTokens = Math.min(
        PREVIEW_SEARCH_BURST,
        this.searchTokens + Math.max(0, at - this.searchTokensAt) / PREVIEW_SEARCH_INTERVAL_MS,
      );
    this.searchTokensAt = at;
    if (this.searchTokens >= 1) {
      this.searchTokens -= 1;
      return 0;
    }
    return (1 - this.searchTokens) * PREVIEW_SEARCH_INTERVAL_MS;
  }
}
