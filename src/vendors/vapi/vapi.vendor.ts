import { TRANSCRIPT_LIST_ITEMS, type VendorDefinition } from '../vendor-definition.js';
import { VapiMapper } from './vapi.mapper.js';
import { VAPI_END_OF_CALL_REPORT } from './vapi.payload.js';
import { VapiWebhook } from './vapi.webhook.js';

/**
 * Vapi: one server message per POST; only `end-of-call-report` carries a call. Its default credential is a bearer
 * token in `Authorization` (`Bearer <token>`), or the legacy `X-Vapi-Secret: <token>`, with the token as
 * VAPI_WEBHOOK_SECRET (docs.vapi.ai/server-url/server-authentication). A customer on Vapi's HMAC credential sets
 * `vendors.vapi.auth` in `config/mapping.yaml` instead (its defaults are shown there).
 *
 * The reply is an empty 200: Vapi expects a reply body only to `assistant-request`, `tool-calls`,
 * `transfer-destination-request` and `knowledge-base-request` (docs.vapi.ai/server-url/events), which the connector
 * does not answer; every other message needs none.
 */
export const vapiVendor: VendorDefinition = {
  id: 'vapi',
  displayName: 'Vapi',
  callEvents: [VAPI_END_OF_CALL_REPORT],
  secret: { setting: 'VAPI_WEBHOOK_SECRET' },
  auth: { kind: 'secret', from: ['authorization', 'x-vapi-secret'] },
  // A report carries the conversation several times over (artifact.messages, messagesOpenAIFormatted, transcript)
  // and the assistant's configuration; Vapi does not retry by default, so a long call's report refused for its
  // size would be lost.
  maxBodyBytes: 8 * 1024 * 1024,
  maxListItems: TRANSCRIPT_LIST_ITEMS,
  defaultReply: {},
  // Vapi's times are ISO 8601 in UTC and its numbers E.164; the region reads a number sent without its country code.
  defaults: { timeZone: 'UTC', defaultRegion: 'US' },
  webhook: new VapiWebhook(),
  mapper: new VapiMapper(),
  // Recordings sit in Vapi's private bucket: its API (with VAPI_API_KEY) answers with a redirect to a short-lived
  // link (docs.vapi.ai, GET /call/{id}/mono-recording). The report's own link is the fall-back without a key.
  recordingSource: (record) => ({
    kind: 'vendor-api',
    path: `/call/${encodeURIComponent(record.vendorCallId)}/mono-recording`,
    fallbackUrl: record.recordingUrl && /^https?:\/\//i.test(record.recordingUrl) ? record.recordingUrl : null,
  }),
};
