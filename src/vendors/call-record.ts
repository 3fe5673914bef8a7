/**
 * The canonical, vendor-neutral record of one call. Vendor mappers produce it; everything after them
 * (field mapping, HubSpot sync) reads only this.
 */

export const CALL_OUTCOMES = ['answered', 'no_answer', 'busy', 'failed'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export type CallDirection = 'inbound' | 'outbound';

/** Which vendor event a record came from: several events of one call update the same HubSpot call. */
export type CallEventKind = 'start' | 'collect' | 'hangup' | 'transfer' | 'result';

export interface PhoneNumber {
  /** E.164 (`+8617534989887`), or null when the raw text is not a valid number. */
  e164: string | null;
  /** What the vendor sent, untouched. */
  raw: string | null;
}

export interface CollectedAnswer {
  questionId: string | null;
  question: string | null;
  answer: string | null;
  hit: boolean | null;
  note: string | null;
}

export interface AnalysisItem {
  title: string | null;
  result: string | null;
}

export interface NamedRef {
  id: string | null;
  name: string | null;
}

export interface Intention {
  /** The vendor's own value, as text (`1`, `A`). */
  code: string;
  /** The normalised level or label from the vendor's intention table (`A`). */
  label: string;
}

export interface ReceivedAudio {
  format: string;
  bytes: number;
  sha256: string;
  /** Where the vendor serves the audio (an API path needing the vendor's key), for people reading the call. */
  source: string;
}

export interface CallRecord {
  vendor: string;
  vendorCallId: string;
  eventKind: CallEventKind;
  /** The vendor's own event name (`callin.collect`), for traceability. */
  eventName: string;
  direction: CallDirection | null;
  customer: {
    phone: PhoneNumber;
    name: string | null;
    email: string | null;
    company: string | null;
  };
  /** The vendor's side of the call: the line or agent number. */
  linePhone: PhoneNumber;
  /** Instants as ISO 8601 UTC strings. */
  startedAt: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  /** Whole call, ringing included, in seconds. */
  durationSeconds: number | null;
  /** Talk time (billed) in seconds. */
  talkSeconds: number | null;
  ringSeconds: number | null;
  outcome: CallOutcome | null;
  hangup: {
    side: 'customer' | 'agent' | null;
    reason: string | null;
  };
  /** Absolute URL; `https://` added where the vendor omitted the scheme. */
  recordingUrl: string | null;
  intention: Intention | null;
  tags: string[];
  answers: CollectedAnswer[];
  analysis: AnalysisItem[];
  campaign: NamedRef | null;
  script: NamedRef | null;
  account: NamedRef | null;
  location: { province: string | null; city: string | null; operator: string | null } | null;
  score: number | null;
  rounds: number | null;
  /** The AI's summary of the conversation, where the vendor has a field for it (else an analysis item may hold it). */
  summary: string | null;
  /** The customer's sentiment as the vendor judged it (`Positive`, `Negative`, `Neutral`, `Unknown`). */
  sentiment: string | null;
  /** Whether the call reached its goal, as the vendor's evaluation states it (`true`, `success`, `failure`, a grade). */
  success: string | null;
  /**
   * Audio the vendor sent in a webhook of its own (ElevenLabs `post_call_audio`): not kept by the connector (yet),
   * only its facts, and where the vendor still serves it. Absent for vendors that give a recording URL.
   */
  audio?: ReceivedAudio | null;
  /** Vendor fields with no canonical home, kept for templates and debugging. */
  extras: Record<string, unknown>;
}
