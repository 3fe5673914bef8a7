import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { ownValue } from '../common/own-value.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { connectorPropertyNames } from '../mapping/connector-properties.js';
import { DEFAULT_OUTCOMES } from '../mapping/hubspot-call-outcomes.js';
import { InjectHubSpot, type HubSpotPort } from '../hubspot/hubspot.port.js';
import { LedgerRepository } from '../store/ledger.repository.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { holdsNumber, nationalVariants } from '../sync/contact-matching.js';
import { HubSpotProvisioner } from '../sync/hubspot-provisioner.js';
import { normalisePhone } from '../vendors/phone-number.js';
import { hubspotRecordUrl } from './console-views.js';

/** The calls a timeline shows at most (the newest, by HubSpot id). */
export const TIMELINE_CALLS = 50;
/** Contact searches timelines may spend: a burst of 5, then one every 2 s (the sync shares HubSpot's 5 a second). */
const SEARCH_BURST = 5;
const SEARCH_INTERVAL_MS = 2_000;

const CALL_PROPERTIES = [
  'hs_timestamp',
  'hs_call_title',
  'hs_call_body',
  'hs_call_direction',
  'hs_call_status',
  'hs_call_disposition',
  'hs_call_duration',
  'hs_call_recording_url',
  'hs_attachment_ids',
];

export class InvalidPhoneError extends AppError {
  constructor() {
    super('invalid_phone', 400, 'phone: give a phone number (with its country code, or as the vendors send it)');
  }
}

/** Timelines asked for more contact searches than they may spend: try again in `retryAfterSeconds`. */
export class SearchBudgetError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'busy',
      429,
      `timelines search HubSpot sparingly (the sync shares its limit): try again in ${retryAfterSeconds} s`,
    );
  }
}

export interface TimelineCall {
  id: string;
  timestamp: string | null;
  title: string | null;
  /** HubSpot's call notes, HTML as HubSpot keeps them (show as text, or sanitised). */
  bodyHtml: string | null;
  direction: string | null;
  status: string | null;
  outcome: string | null;
  durationMs: number | null;
  recordingUrl: string | null;
  attachments: Array<{ id: string; url: string | null }>;
  url: string | null;
}

export interface Timeline {
  contact: { id: string; name: string | null; phone: string | null; url: string | null } | null;
  calls: TimelineCall[];
}

/**
 * A contact's calls as HubSpot holds them: the contact by phone (the ledger's, else a search of HubSpot's calculated
 * phone numbers, as the sync matches), its associated calls (v4 associations), their properties (batch read).
 * Only the HubSpot adapter talks to HubSpot; this composes its port.
 */
@Injectable()
export class ConsoleTimeline {
  private searchTokens = SEARCH_BURST;
  private searchTokensAt: number | null = null;

  constructor(
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    private readonly ledger: LedgerRepository,
    private readonly recordings: RecordingRepository,
    private readonly config: ConnectorConfig,
    private readonly provisioner: HubSpotProvisioner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The E.164 number of what an operator typed: as given with `+`, else in the first enabled vendor's region. */
  phoneOf(text: string | undefined): string {
    const settings = this.config.current();
    const region =
      Object.values(settings.vendors).find((vendor) => vendor.enabled)?.defaultRegion ??
      Object.values(settings.vendors)[0]?.defaultRegion ??
      'US';
    const e164 = normalisePhone(text ?? '', region).e164;
    if (!e164) throw new InvalidPhoneError();
    return e164;
  }

  async timeline(phoneText: string | undefined, portalId: string | null): Promise<Timeline> {
    const e164 = this.phoneOf(phoneText);
    const settings = this.config.current();
    const names = connectorPropertyNames(settings);
    const contactId =
      (await this.ledger.contacts([e164])).get(e164)?.contactId ?? (await this.search(e164, names.uniquePhone));
    if (!contactId) return { contact: null, calls: [] };
    const contact = (
      await this.hubspot.readObjects('contacts', [contactId], ['firstname', 'lastname', 'phone', names.uniquePhone])
    ).get(contactId);
    if (!contact) return { contact: null, calls: [] };
    const name = [contact['firstname'], contact['lastname']].filter((part) => part?.trim()).join(' ') || null;

    const callIds = await this.hubspot.listAssociatedIds('contacts', contactId, 'calls', TIMELINE_CALLS);
    const calls =
      callIds.length > 0
        ? await this.hubspot.readObjects('calls', callIds, [...CALL_PROPERTIES, names.callKey])
        : new Map<string, Record<string, string | null>>();
    const stored = await this.recordings.storedFor(
      [...calls.values()].map((call) => ownValue(call, names.callKey)).filter((key): key is string => !!key),
    );
    const labels = this.outcomeLabels();
    const list: TimelineCall[] = [...calls.entries()].map(([id, properties]) => {
      const value = (name: string) => ownValue(properties, name) ?? null;
      const file = stored.get(value(names.callKey) ?? '');
      const duration = Number(value('hs_call_duration'));
      const outcome = value('hs_call_disposition');
      return {
        id,
        timestamp: value('hs_timestamp'),
        title: value('hs_call_title'),
        bodyHtml: value('hs_call_body'),
        direction: value('hs_call_direction'),
        status: value('hs_call_status'),
        outcome: outcome === null ? null : (labels.get(outcome) ?? outcome),
        durationMs: value('hs_call_duration') !== null && Number.isFinite(duration) ? duration : null,
        recordingUrl: value('hs_call_recording_url'),
        attachments: (value('hs_attachment_ids') ?? '')
          .split(';')
          .map((attachment) => attachment.trim())
          .filter(Boolean)
          .map((attachment) => ({ id: attachment, url: file?.fileId === attachment ? file.fileUrl : null })),
        url: hubspotRecordUrl(portalId, 'calls', id),
      };
    });
    list.sort((a, b) => (b.timestamp ?? '').localeCompare(a.timestamp ?? '') || Number(b.id) - Number(a.id));
    return {
      contact: {
        id: contactId,
        name,
        phone: ownValue(contact, names.uniquePhone) ?? contact['phone'] ?? e164,
        url: hubspotRecordUrl(portalId, 'contacts', contactId),
      },
      calls: list,
    };
  }

  /** A contact HubSpot holds for the number, found as the sync would (one search, within the timelines' budget). */
  private async search(e164: string, keyProperty: string): Promise<string | null> {
    const waitMs = this.takeSearch();
    if (waitMs > 0) throw new SearchBudgetError(Math.ceil(waitMs / 1000));
    const matches = (
      await this.hubspot.searchContactsByNationalNumber(nationalVariants(e164), [keyProperty, 'phone', 'mobilephone'])
    ).filter((contact) => holdsNumber(contact, e164, keyProperty));
    return matches.find((contact) => ownValue(contact.properties, keyProperty) === e164)?.id ?? matches[0]?.id ?? null;
  }

  /** Outcome GUID → label: the portal's, as provisioning read them, else HubSpot's defaults. */
  private outcomeLabels(): Map<string, string> {
    const byLabel: ReadonlyMap<string, string> = this.provisioner.isProvisioned
      ? this.provisioner.outcomeIds
      : new Map(Object.entries(DEFAULT_OUTCOMES));
    return new Map([...byLabel].map(([label, id]) => [id, label]));
  }

  private takeSearch(): number {
    const at = this.clock.now().getTime();
    if (this.searchTokensAt !== null)
      this.searchTokens = Math.min(
        SEARCH_BURST,
        this.searchTokens + Math.max(0, at - this.searchTokensAt) / SEARCH_INTERVAL_MS,
      );
    this.searchTokensAt = at;
    if (this.searchTokens >= 1) {
      this.searchTokens -= 1;
      return 0;
    }
    return (1 - this.searchTokens) * SEARCH_INTERVAL_MS;
  }
}
