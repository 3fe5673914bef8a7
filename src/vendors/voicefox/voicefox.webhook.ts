import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import { contentDigest } from '../../common/content-digest.js';
import { VOICEFOX_CALL_EVENTS, VoiceFoxCallData, VoiceFoxEnvelope } from './voicefox.payload.js';

/**
 * One VoiceFox POST is one event. Its key is `session_id` + `event_name`, so that a call's hangup and collect
 * events are two rows while a repeated delivery of either is none. Events without a session (`task.end`, unknown
 * ones) are keyed by their content.
 */
export class VoiceFoxWebhook implements VendorWebhook {
  readonly vendor = 'voicefox';

  split(body: unknown): InboxItem[] {
    const envelope = validateEnvelope(VoiceFoxEnvelope, body, ['event_data']);
    const eventName = envelope.event_name.trim();
    const isCallEvent = (VOICEFOX_CALL_EVENTS as readonly string[]).includes(eventName);
    const sessionId = envelope.event_data['session_id'];
    if (isCallEvent && eventName !== 'callin.transfer') {
      const data = validatePayload(VoiceFoxCallData, envelope.event_data, 'event_data');
      return [{ eventKey: `${callIdText(data.session_id)!}:${eventName}`, eventName, payload: body }];
    }
    // callin.transfer is undocumented: keyed by session when it has one, read leniently by the mapper.
    const session = callIdText(sessionId);
    const key = session !== null ? `${session}:${eventName}` : `${eventName}:${contentDigest(envelope.event_data)}`;
    return [{ eventKey: key, eventName, payload: body }];
  }
}
