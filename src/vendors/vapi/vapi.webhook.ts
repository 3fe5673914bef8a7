import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import { contentDigest } from '../../common/content-digest.js';
import { isPlainObject } from '../vendor-values.js';
import { ownValue } from '../../common/own-value.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import { VAPI_END_OF_CALL_REPORT, VapiDelivery, VapiEndOfCallReport, VapiMessageType } from './vapi.payload.js';

/** A call status as Vapi names them (`ringing`, `in-progress`, `ended`): short enough to be part of a key. */
const STATUS = /^[a-z][a-z-]{0,39}$/;

/**
 * One Vapi POST is one server message. The report is keyed by `call.id` and its type, and identified by that key
 * alone: Vapi mints new presigned artifact URLs for every delivery, so a redelivered report differs from the first
 * while being the same report (Vapi sends it once and retries only under a `backoffPlan`). Other messages
 * (`status-update`, `transcript`, `tool-calls`, …) carry no call of their own: a status update is keyed by its call
 * and status, any other message by its content.
 */
export class VapiWebhook implements VendorWebhook {
  readonly vendor = 'vapi';

  split(body: unknown): InboxItem[] {
    const { message } = validateEnvelope(VapiDelivery, body, ['message']);
    const others = Object.keys(message).filter((key) => key !== 'type');
    const type = validateEnvelope(VapiMessageType, message, others, 'message').type.trim();
    if (type === VAPI_END_OF_CALL_REPORT) {
      const report = validatePayload(VapiEndOfCallReport, message, 'message');
      return [
        {
          eventKey: `${callIdText(report.call.id)!}:${type}`,
          eventName: type,
          payload: body,
          sameEventBy: 'key',
        },
      ];
    }
    const call = ownValue(message, 'call');
    const callId = callIdText(isPlainObject(call) ? ownValue(call, 'id') : undefined);
    const status = ownValue(message, 'status');
    const key =
      callId !== null && type === 'status-update' && typeof status === 'string' && STATUS.test(status)
        ? `${callId}:${type}:${status}`
        : `${type}:${contentDigest(message)}`;
    return [{ eventKey: key, eventName: type, payload: body }];
  }
}
