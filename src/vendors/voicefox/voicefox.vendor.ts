import type { VendorDefinition } from '../vendor-definition.js';
import { VoiceFoxMapper } from './voicefox.mapper.js';
import { VOICEFOX_CALL_EVENTS } from './voicefox.payload.js';
import { VoiceFoxWebhook } from './voicefox.webhook.js';

/** VoiceFox: one event per POST (a call has several: collect, hangup), the secret in `Authorization`. */
export const voicefoxVendor: VendorDefinition = {
  id: 'voicefox',
  displayName: 'VoiceFox',
  callEvents: VOICEFOX_CALL_EVENTS,
  secret: { setting: 'VOICEFOX_WEBHOOK_SECRET' },
  auth: { kind: 'secret', from: ['authorization'] },
  defaultReply: {},
  defaults: { timeZone: 'Asia/Shanghai', defaultRegion: 'CN' },
  webhook: new VoiceFoxWebhook(),
  mapper: new VoiceFoxMapper(),
};
