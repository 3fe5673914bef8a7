import { DEFAULT_TOLERANCE_SECONDS } from '../webhook-auth-scheme.js';
import { TRANSCRIPT_LIST_ITEMS, type VendorDefinition } from '../vendor-definition.js';
import { ElevenLabsMapper } from './elevenlabs.mapper.js';
import { ELEVENLABS_AUDIO, ELEVENLABS_CALL_EVENTS } from './elevenlabs.payload.js';
import { ElevenLabsWebhook } from './elevenlabs.webhook.js';

/**
 * The largest ElevenLabs delivery taken: 40 MiB. The audio event carries the whole call as base64 MP3 (4/3 of the
 * MP3's size): at 128 kbit/s a minute is 0.96 MB of MP3, 1.28 MB of base64, so 40 MiB (41.9 MB) holds a 32-minute
 * call, three times an agent's default 10-minute limit (`max_duration_seconds`: 600). ElevenLabs publishes no
 * bitrate; at a lower one the same limit holds a longer call. `vendors.elevenlabs.maxBodyBytes` may raise it to
 * 64 MiB for agents allowed longer calls. Other vendors keep `WEBHOOK_MAX_BODY_BYTES` (1 MiB).
 */
export const ELEVENLABS_MAX_BODY_BYTES = 40 * 1024 * 1024;

/**
 * ElevenLabs Agents: one event per POST (`post_call_transcription`, `post_call_audio`, `call_initiation_failure`),
 * signed in `ElevenLabs-Signature: t=<epoch s>,v0=<hex>`, an HMAC-SHA256 of `<t>.<raw body>` keyed with the webhook's
 * secret. That is the construction of elevenlabs-js' own verifier (`src/wrapper/webhooks.ts`, `constructEvent`:
 * `createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')`), which however takes any timestamp
 * up to 30 minutes old (and any in the future) and compares with `!==`; here the window is 5 minutes either way and
 * the comparison constant-time (`src/webhooks/webhook-auth.ts`).
 */
export const elevenlabsVendor: VendorDefinition = {
  id: 'elevenlabs',
  displayName: 'ElevenLabs',
  callEvents: ELEVENLABS_CALL_EVENTS,
  // The audio names only the conversation: it adds to the call its transcription creates, never a call of its own.
  updateEvents: [ELEVENLABS_AUDIO],
  secret: { setting: 'ELEVENLABS_WEBHOOK_SECRET' },
  auth: {
    kind: 'hmac',
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'elevenlabs-signature',
    pairs: { timestamp: 't', signature: 'v0' },
    signaturePrefix: null,
    timestampHeader: null,
    timestampUnit: 's',
    signedPayload: '{timestamp}.{body}',
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  },
  maxBodyBytes: ELEVENLABS_MAX_BODY_BYTES,
  maxListItems: TRANSCRIPT_LIST_ITEMS,
  // ElevenLabs counts only a 200 as delivered; the body is not read.
  defaultReply: { received: '{{received}}', stored: '{{stored}}', duplicates: '{{duplicates}}' },
  // Times are epoch seconds (no zone to read); numbers are E.164 in every example, else read as North American.
  defaults: { timeZone: 'UTC', defaultRegion: 'US' },
  webhook: new ElevenLabsWebhook(),
  mapper: new ElevenLabsMapper(),
};
