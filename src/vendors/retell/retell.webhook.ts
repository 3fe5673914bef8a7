import { contentDigest } from '../../common/content-digest.js';
import { ownValue } from '../../common/own-value.js';
import {
  callIdText,
  PayloadValidationError,
  validateEnvelope,
  validatePayload,
} from '../../common/payload-validation.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import { RETELL_CALL_EVENTS, RetellCall, RetellEnvelope } from './retell.payload.js';

/**
 * One Retell POST is one event. Its key is `call_id` + event name, so that a call's `call_started`, `call_ended` and
 * `call_analyzed` are three rows of one call while a repeated delivery of any of them stores nothing new (Retell
 * retries, and users report duplicate `call_ended` / `call_analyzed`). Transfer and transcript events are keyed the
 * same way (a later `transcript_updated` of a call is a new revision of its row, not a row per turn); events without
 * a call id (chat events) by their content.
 */
export class RetellWebhook implements VendorWebhook {
  readonly vendor = 'retell';

  split(body: unknown): InboxItem[] {
    const envelope = validateEnvelope(RetellEnvelope, body, ['call']);
    const eventName = retellEventName(envelope);
    if ((RETELL_CALL_EVENTS as readonly string[]).includes(eventName)) {
      const call = validatePayload(RetellCall, requireCall(envelope), 'call');
      return [{ eventKey: `${callIdText(call.call_id)!}:${eventName}`, eventName, payload: body }];
    }
    const callId = callIdText(ownValue(envelope.call, 'call_id'));
    const key = callId !== null ? `${callId}:${eventName}` : `${eventName}:${contentDigest(body)}`;
    return [{ eventKey: key, eventName, payload: body }];
  }
}

/** The event's name, from `event` or (as one of Retell's pages writes it) `event_type`. */
export function retellEventName(envelope: RetellEnvelope): string {
  const name = (envelope.event ?? envelope.event_type)?.trim();
  if (!name) throw new PayloadValidationError('event', 'must name the event (event or event_type)');
  return name;
}

export function requireCall(envelope: RetellEnvelope): Record<string, unknown> {
  if (!envelope.call) throw new PayloadValidationError('call', 'must be a JSON object');
  return envelope.call;
}
