import type { VendorDefinition } from '../vendor-definition.js';
import { YunfuMapper } from './yunfu.mapper.js';
import { YUNFU_EVENT_NAME, YunfuWebhook } from './yunfu.webhook.js';

/**
 * Yunfu: batches of calls per POST. Its console takes only a URL (no headers we know of), so the secret may be the
 * last path segment; it reads the reply's `code` (0: accepted).
 */
export const yunfuVendor: VendorDefinition = {
  id: 'yunfu',
  displayName: 'Yunfu',
  callEvents: [YUNFU_EVENT_NAME],
  secret: { setting: 'YUNFU_WEBHOOK_SECRET' },
  auth: { kind: 'secret', from: ['path', 'authorization', 'x-webhook-secret'] },
  defaultReply: {
    code: 0,
    message: 'ok',
    received: '{{received}}',
    stored: '{{stored}}',
    duplicates: '{{duplicates}}',
  },
  defaults: { timeZone: 'Asia/Shanghai', defaultRegion: 'CN' },
  webhook: new YunfuWebhook(),
  mapper: new YunfuMapper(),
};
