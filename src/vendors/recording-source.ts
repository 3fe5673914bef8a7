import type { CallRecord } from './call-record.js';

/**
 * Where a call's audio can be fetched for the recordings stage, as the vendor serves it:
 * - `url`: a link the vendor gives in the webhook (VoiceFox `record_url`, Yunfu `voice_url`, Retell `recording_url`);
 *   it works without credentials, and often expires.
 * - `vendor-api`: a path of the vendor's own API, fetched with the vendor's API key (Vapi keeps recordings in a
 *   private bucket and answers `GET /call/{id}/mono-recording` with a redirect to a short-lived link).
 * - `webhook-audio`: the vendor sent the audio itself (ElevenLabs `post_call_audio`); the store keeps it until it is
 *   stored in HubSpot.
 */
export type RecordingSource =
  | { kind: 'url'; url: string }
  | { kind: 'vendor-api'; path: string; fallbackUrl: string | null }
  | { kind: 'webhook-audio'; sha256: string };

/** The default: the audio the vendor sent, else the recording link it gave; null when the call has neither. */
export function defaultRecordingSource(record: CallRecord): RecordingSource | null {
  if (record.audio) return { kind: 'webhook-audio', sha256: record.audio.sha256 };
  if (record.recordingUrl && /^https?:\/\//i.test(record.recordingUrl))
    return { kind: 'url', url: record.recordingUrl };
  return null;
}
