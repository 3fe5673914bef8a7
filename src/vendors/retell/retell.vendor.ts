import { TRANSCRIPT_LIST_ITEMS, type VendorDefinition } from '../vendor-definition.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../webhook-auth-scheme.js';
import { RetellMapper } from './retell.mapper.js';
import { RETELL_CALL_EVENTS } from './retell.payload.js';
import { RetellWebhook } from './retell.webhook.js';

/**
 * Retell AI: one event per POST, signed. `x-retell-signature: v=<epoch ms>,d=<hex>`, where `d` is the HMAC-SHA256,
 * keyed with the Retell API key that has the webhook badge, of the raw body followed by the timestamp's digits (no
 * separator), refused beyond five minutes either way: what retell-sdk 5.66's `lib/webhook_auth` signs and checks
 * (`sign`: `v=${timestamp},d=${hmacSha256Hex(key, body + timestamp)}`; `verify`: FIVE_MINUTES) and
 * docs.retellai.com/features/secure-webhook describe. Unlike that SDK's `verify` (async, and called without `await`
 * in Retell's own Node sample, so that it accepts everything), the check here is synchronous and compares in constant
 * time. Times are epoch milliseconds and numbers E.164, so the zone and region only read the odd value that is not.
 */
export const retellVendor: VendorDefinition = {
  id: 'retell',
  displayName: 'Retell AI',
  callEvents: RETELL_CALL_EVENTS,
  secret: { setting: 'RETELL_API_KEY' },
  maxListItems: TRANSCRIPT_LIST_ITEMS,
  auth: {
    kind: 'hmac',
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'x-retell-signature',
    pairs: { timestamp: 'v', signature: 'd' },
    signaturePrefix: null,
    timestampHeader: null,
    timestampUnit: 'ms',
    signedPayload: '{body}{timestamp}',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  // Retell reads only the status (any 2xx); the body is not looked at.
  defaultReply: {},
  defaults: { timeZone: 'UTC', defaultRegion: 'US' },
  webhook: new RetellWebhook(),
  mapper: new RetellMapper(),
};
