import type { CallDirection, CallEventKind, CallOutcome } from '../call-record.js';
import type { PathSegment } from './value-path.js';

/**
 * A vendor described by `config/mapping.yaml` (`vendors.<id>.definition`) instead of code: where each fact of a call
 * is in its JSON. Plain data, read and checked by `src/config/mapping/mapping-definition.ts`; the webhook splitter
 * and the mapper in this folder follow it.
 */
export interface ConfiguredVendorSpec {
  displayName: string;
  /** The environment setting that holds the vendor's secret or signing key. */
  secretSetting: string;
  /** Where each delivery names its event; null: every delivery is one event named `fixedEventName`. */
  eventNamePath: PathSegment[] | null;
  fixedEventName: string;
  /** The paths whose values, joined by `:`, identify an event: a repeated delivery has the same key. */
  eventKey: PathSegment[][];
  /** The events that carry a call, with the kind each is (a later event of a call updates the same HubSpot call). */
  callEvents: Record<string, CallEventKind>;
  fields: ConfiguredFields;
}

export interface TimeField {
  path: PathSegment[];
  /** `auto` reads ISO 8601, naive local times and epoch values; `pattern` reads `yyyy-MM-dd HH:mm:ss` and the like. */
  format: 'auto' | 'iso' | 'epoch-s' | 'epoch-ms' | { pattern: string };
  /** Where a time without an offset is read; null: the vendor's `timeZone`. */
  zone: string | null;
}

export interface DurationField {
  path: PathSegment[];
  unit: 's' | 'ms' | 'min';
}

/** A path whose value (as text, case and spaces aside) is looked up in a table. */
export interface ValueMap<T extends string> {
  path: PathSegment[];
  values: Record<string, T>;
}

/** Collected answers: every key of a map is one, or each item of a list is one (with sub-paths into the item). */
export type AnswerSource =
  | { kind: 'map'; path: PathSegment[] }
  | {
      kind: 'list';
      path: PathSegment[];
      questionId: PathSegment[] | null;
      question: PathSegment[] | null;
      answer: PathSegment[];
    };

export interface ConfiguredFields {
  callId: PathSegment[];
  /** Either the customer's and the line's numbers, or the caller's and the callee's (the direction tells which). */
  customerNumber: PathSegment[] | null;
  lineNumber: PathSegment[] | null;
  fromNumber: PathSegment[] | null;
  toNumber: PathSegment[] | null;
  customerName: PathSegment[] | null;
  customerEmail: PathSegment[] | null;
  customerCompany: PathSegment[] | null;
  direction: { map: ValueMap<CallDirection> | null; fallback: CallDirection | null };
  startedAt: TimeField | null;
  answeredAt: TimeField | null;
  endedAt: TimeField | null;
  duration: DurationField | null;
  talkDuration: DurationField | null;
  /** Tried in order: the first whose value is listed gives the outcome. */
  outcome: Array<ValueMap<CallOutcome>>;
  hangupReason: PathSegment[] | null;
  recordingUrl: PathSegment[] | null;
  summary: PathSegment[] | null;
  sentiment: PathSegment[] | null;
  success: PathSegment[] | null;
  intention: PathSegment[] | null;
  /** A list of texts, or one text of tags separated by commas or semicolons. */
  tags: PathSegment[] | null;
  answers: AnswerSource[];
  /** `extras.<name>` for templates and call properties: the value at each path as sent. */
  extras: Record<string, PathSegment[]>;
}
