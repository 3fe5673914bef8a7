import type { ConfiguredVendorSpec } from '../../vendors/configured/configured-vendor-spec.js';
import type { AnalysisKeys } from '../../vendors/vendor-mapper.js';
import type { WebhookAuthScheme } from '../../vendors/webhook-auth-scheme.js';
import type { CompiledTemplate } from '../../mapping/template.js';

/**
 * `config/mapping.yaml` as the connector uses it: what it does with each vendor's calls and what lands where in
 * HubSpot. Read by `mapping-file.ts`; every problem names the file, the line and the setting.
 */

export const WRITE_MODES = ['overwrite', 'fill-if-empty', 'never'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

export interface IntentionEntry {
  label: string;
  /** `hs_call_disposition` for calls at this level: a default outcome's name, a GUID, or a portal outcome label. */
  outcome: string | null;
}

export interface VendorSettings {
  enabled: boolean;
  timeZone: string;
  defaultRegion: string;
  intentions: Record<string, IntentionEntry>;
  allowedIps: string[];
  /** Events that may create a call (or update it), and events that only update an existing one. */
  events: { create: string[]; update: string[] };
  /** The JSON reply body; string values may use {{received}}, {{stored}}, {{duplicates}}. */
  reply: Record<string, unknown>;
  /** How deliveries prove they are the vendor's (`auth:`; default: the vendor definition's scheme). */
  auth: WebhookAuthScheme;
  /** The largest body a delivery may have (`maxBodyBytes:`); null: the definition's, else `WEBHOOK_MAX_BODY_BYTES`. */
  maxBodyBytes: number | null;
  /** `analysisKeys:`: where the intention and tags are in the customer's own analysis schema (see MappingContext). */
  analysisKeys: AnalysisKeys;
  /** `definition:`: the vendor is described here, not in code (null for a built-in vendor). */
  definition: ConfiguredVendorSpec | null;
}

export interface HubSpotSettings {
  propertyGroup: string;
  uniquePhoneProperty: string;
  callsWithoutPhone: 'dead-letter' | 'log-without-contact';
}

/** One value written to a HubSpot property: from a source field, or a template. */
export interface PropertyMapping {
  property: string;
  source: string | null;
  template: CompiledTemplate | null;
  mode: WriteMode;
  /** Where it is configured, for messages (`config/mapping.yaml:42 contact.properties[3]`). */
  origin: string;
}

export interface AnswerMapping {
  questionId: string | null;
  question: string | null;
  to: 'contact' | 'call';
  property: string;
  mode: WriteMode;
  origin: string;
}

export interface ContactSettings {
  /** Create contacts for unknown numbers; false: such calls are logged without a contact. */
  create: boolean;
  defaultName: string | null;
  lifecycleStage: string | null;
  marketingContact: boolean;
  properties: PropertyMapping[];
}

export interface CallSettings {
  title: CompiledTemplate;
  /** Null: the built-in body (summary, facts, answers, analysis). */
  body: CompiledTemplate | null;
  intention: { property: string; as: 'select' | 'text' };
  tags: { property: string; as: 'multi-select' | 'text' };
  properties: PropertyMapping[];
}

export const RECORDING_MODES = ['off', 'attach', 'link'] as const;
export type RecordingMode = (typeof RECORDING_MODES)[number];

/** `recordings:`: whether and how calls' recordings are kept in HubSpot's File Manager (see the README). */
export interface RecordingSettings {
  /**
   * `off`: the call keeps the vendor's link only. `attach`: a private file attached to the call (`hs_attachment_ids`),
   * for logged-in users. `link`: a not-indexed public file whose URL is the call's recording (HubSpot's player plays
   * it; anyone holding the URL can listen).
   */
  mode: RecordingMode;
  /** The File Manager folder; each month's files go into a subfolder (`/ai-calls/2026-11`). */
  folder: string;
}

export const DEFAULT_RECORDINGS: RecordingSettings = { mode: 'attach', folder: '/ai-calls' };

export interface ConnectorSettings {
  /** By vendor id (see `src/vendors/vendors.ts`): every registered vendor has an entry. */
  vendors: Record<string, VendorSettings>;
  hubspot: HubSpotSettings;
  contact: ContactSettings;
  answers: AnswerMapping[];
  call: CallSettings;
  recordings: RecordingSettings;
  /** Where each configured HubSpot property is named, for the portal check's messages. */
  origins: Record<string, string>;
}

export const MAPPING_FILE = 'mapping.yaml';

export class ConfigFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

export const DEFAULT_CALL_TITLE =
  'AI call ({{vendorName}}{{#if direction}}, {{direction}}{{/if}}){{#if intention.label}} · intention {{intention.label}}{{/if}}';

/** Vendor intention value → label, as the mappers take it. */
export function intentionLabels(settings: VendorSettings): Record<string, string> {
  return Object.fromEntries(Object.entries(settings.intentions).map(([code, entry]) => [code, entry.label]));
}
