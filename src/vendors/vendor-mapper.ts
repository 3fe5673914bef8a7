import type { CallRecord } from './call-record.js';

/** What a mapper may know about the world: injected so that mapping stays a pure function. */
export interface MappingContext {
  /** IANA zone in which the vendor's naive local times are read. */
  timeZone: string;
  /** ISO 3166 region used for numbers without a country code. */
  defaultRegion: string;
  /** Vendor intention value (`1`, `A`) → normalised level or label. Unlisted values keep their own text. */
  intentionLabels: Record<string, string>;
  /**
   * For vendors whose AI fills a schema the customer designs (Retell `custom_analysis_data`, Vapi `structuredData`,
   * ElevenLabs `data_collection_results`): the key that holds the intention and the key that holds the tags. Every
   * other key of that data becomes a collected answer (its key as the question id).
   */
  analysisKeys: AnalysisKeys;
  now: () => Date;
}

export interface AnalysisKeys {
  intention: string | null;
  tags: string | null;
}

/** Unless `vendors.<id>.analysisKeys` says otherwise. */
export const DEFAULT_ANALYSIS_KEYS: AnalysisKeys = { intention: 'intention', tags: 'tags' };

/** One stored inbox event, as the worker hands it to a vendor's mapper. */
export interface InboxEventInput {
  eventName: string;
  payload: unknown;
}

export type MapResult =
  | { kind: 'records'; records: CallRecord[] }
  /** A valid event that carries no call (a task summary, an unknown event): stored, acknowledged, nothing to sync. */
  | { kind: 'skipped'; reason: string };

export interface VendorMapper {
  readonly vendor: string;
  /** Pure: validates the stored payload and maps it. Throws `PayloadValidationError` for a malformed one. */
  map(event: InboxEventInput, context: MappingContext): MapResult;
}
