import {
  callIdText,
  PayloadValidationError,
  validateEnvelope,
  validatePayload,
} from '../../common/payload-validation.js';
import { contentDigest } from '../../common/content-digest.js';
import type { InboxItem, VendorWebhook } from '../vendor-webhook.js';
import { YunfuCall, YunfuCallback } from './yunfu.payload.js';

export const YUNFU_EVENT_NAME = 'call.success';

/**
 * One Yunfu POST carries one or more calls; each becomes its own inbox event keyed by `callid`. A malformed item is
 * still stored (keyed by its content when it has no usable `callid`) so that the worker dead-letters it with the
 * reason while the valid items of the batch go through. A batch in which no item is valid is refused with 400.
 */
export class YunfuWebhook implements VendorWebhook {
  readonly vendor = 'yunfu';

  split(body: unknown): InboxItem[] {
    const callback = validateEnvelope(YunfuCallback, body, ['data']);
    // Widened by `as`: the callback below sets it, which TypeScript's narrowing of `= null` would not see.
    let firstProblem = null as PayloadValidationError | null;
    let valid = 0;
    const items = callback.data.map((item, index): InboxItem => {
      try {
        const call = validatePayload(YunfuCall, item, `data[${index}]`);
        valid++;
        return { eventKey: callIdText(call.callid)!, eventName: YUNFU_EVENT_NAME, payload: item };
      } catch (error) {
        if (!(error instanceof PayloadValidationError)) throw error;
        firstProblem ??= error;
        const callid =
          typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['callid'] : undefined;
        const key = callIdText(callid) ?? `invalid:${contentDigest(item)}`;
        return { eventKey: key, eventName: YUNFU_EVENT_NAME, payload: item };
      }
    });
    if (firstProblem && valid === 0) throw firstProblem;
    return items;
  }
}
