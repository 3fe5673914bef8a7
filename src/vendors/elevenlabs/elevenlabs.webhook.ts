import { createHash } from 'node:crypto';
import { contentDigest } from '../../common/content-digest.js';
import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import {
  ELEVENLABS_AUDIO,
  ELEVENLABS_CALL_EVENTS,
  ELEVENLABS_TRANSCRIPTION,
  ElevenLabsAudioDelivery,
  ElevenLabsEnvelope,
  ElevenLabsInitiationFailure,
  ElevenLabsTranscription,
  providerFailure,
  type ElevenLabsAudioDigest,
} from './elevenlabs.payload.js';

/**
 * One ElevenLabs POST is one event, keyed by `conversation_id` + `type`: a call's transcription, audio and initiation
 * failure are events of one call, and a repeated delivery of any of them is none. Other types (a workspace's other
 * webhooks sent to the same URL) are stored and acknowledged, keyed by their content.
 *
 * The audio event's MP3 (base64, several MB) is not stored in the payload: `full_audio` becomes its size and SHA-256
 * (the worker claims events a hundred at a time with their payloads, which must stay small). The decoded bytes go
 * with the event as its `audio`, which the recordings stage keeps until the file is in HubSpot.
 */
export class ElevenLabsWebhook implements VendorWebhook {
  readonly vendor = 'elevenlabs';

  split(body: unknown): InboxItem[] {
    const envelope = validateEnvelope(ElevenLabsEnvelope, body, ['data']);
    const eventName = envelope.type.trim();
    if (!(ELEVENLABS_CALL_EVENTS as readonly string[]).includes(eventName)) {
      return [{ eventKey: `${eventName}:${contentDigest(envelope.data)}`, eventName, payload: body }];
    }
    if (eventName === ELEVENLABS_AUDIO) {
      const audio = validatePayload(ElevenLabsAudioDelivery, envelope.data, 'data');
      const conversationId = callIdText(audio.conversation_id)!;
      const bytes = Buffer.from(audio.full_audio, 'base64');
      const digest = bytesDigest(bytes);
      const payload = {
        type: eventName,
        event_timestamp: envelope.event_timestamp ?? null,
        // Only the documented fields: the audio event has these three and no other.
        data: { agent_id: audio.agent_id ?? null, conversation_id: audio.conversation_id, full_audio: digest },
      };
      return [
        {
          eventKey: `${conversationId}:${eventName}`,
          eventName,
          payload,
          // ElevenLabs documents the audio as base64 MP3.
          audio: { vendorCallId: conversationId, bytes, contentType: 'audio/mpeg', sha256: digest.sha256 },
        },
      ];
    }
    let conversationId: string | number;
    if (eventName === ELEVENLABS_TRANSCRIPTION) {
      conversationId = validatePayload(ElevenLabsTranscription, envelope.data, 'data').conversation_id;
    } else {
      const failure = validatePayload(ElevenLabsInitiationFailure, envelope.data, 'data');
      providerFailure(failure);
      conversationId = failure.conversation_id;
    }
    return [{ eventKey: `${callIdText(conversationId)!}:${eventName}`, eventName, payload: body }];
  }
}

/** The decoded MP3's size and SHA-256 (of the bytes, so that a copy fetched from ElevenLabs can be checked). */
export function audioDigest(base64: string): ElevenLabsAudioDigest {
  return bytesDigest(Buffer.from(base64, 'base64'));
}

function bytesDigest(bytes: Buffer): ElevenLabsAudioDigest {
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
