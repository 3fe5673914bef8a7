/**
 * How a vendor proves that a delivery is its own: the description only (data, checked by `src/webhooks/`). A vendor's
 * definition names its default; `config/mapping.yaml` may choose another per vendor (`vendors.<id>.auth`), for
 * platforms where each customer picks a scheme (Vapi) and for vendors defined there.
 *
 * The key is always the vendor's secret setting in the environment (`VendorDefinition.secret.setting`).
 */
export type WebhookAuthScheme = SharedSecretScheme | HmacScheme | StandardWebhooksScheme;

/** Where a shared secret may arrive: the last path segment, or a request header (lower case). */
export type SecretPlace = 'path' | (string & {});

/**
 * The secret itself, sent with every delivery: in a header (`Authorization: Bearer <secret>`, `X-Vapi-Secret`), or as
 * the last path segment for senders that cannot set headers. A `Bearer ` prefix is optional.
 */
export interface SharedSecretScheme {
  readonly kind: 'secret';
  readonly from: readonly SecretPlace[];
}

/**
 * An HMAC over the raw body (and usually a timestamp), keyed with the secret, in a header. Covers Retell
 * (`x-retell-signature: v=<ms>,d=<hex>` over body + timestamp), ElevenLabs (`ElevenLabs-Signature: t=<s>,v0=<hex>`
 * over `<t>.<body>`), Vapi's HMAC plan (`x-signature` and `x-timestamp`, over `<timestamp>.<body>`) and Bland
 * (`X-Webhook-Signature`, hex over the body alone).
 */
export interface HmacScheme {
  readonly kind: 'hmac';
  readonly algorithm: 'sha256' | 'sha512' | 'sha1';
  readonly encoding: 'hex' | 'base64';
  /** The header that holds the signature (lower case). */
  readonly signatureHeader: string;
  /**
   * When the signature header is a list of `key=value` pairs (`v=…,d=…`; `t=…,v0=…`): the key of the timestamp and
   * of the signature. A signature key may appear more than once (secret rotation): any one may match.
   */
  readonly pairs: { readonly timestamp: string; readonly signature: string } | null;
  /** Text before the signature value to strip (`sha256=`), or null. */
  readonly signaturePrefix: string | null;
  /** The header that holds the timestamp when the signature header does not (lower case), or null. */
  readonly timestampHeader: string | null;
  /** The timestamp's unit; `auto` reads values of 10^11 and above as milliseconds, smaller ones as seconds. */
  readonly timestampUnit: 's' | 'ms' | 'auto';
  /**
   * What is signed, from the raw body's bytes and the timestamp's text as sent: `{body}`, `{timestamp}` and literal
   * text between them, such as `{body}{timestamp}` (Retell) or `{timestamp}.{body}` (ElevenLabs, Vapi).
   */
  readonly signedPayload: string;
  /** How far the timestamp may be from now, either way, in seconds. Unused when the scheme has no timestamp. */
  readonly toleranceSeconds: number;
}

/**
 * Standard Webhooks (standardwebhooks.com, as Svix sends it): `webhook-id`, `webhook-timestamp` (seconds) and
 * `webhook-signature` (`v1,<base64>`, several separated by spaces), HMAC-SHA256 over `<id>.<timestamp>.<body>` keyed
 * with the base64 secret after its `whsec_` prefix.
 */
export interface StandardWebhooksScheme {
  readonly kind: 'standard-webhooks';
  readonly toleranceSeconds: number;
}

/** Five minutes either way: Retell's documented window, and Standard Webhooks' recommendation. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The headers a scheme reads, for messages and docs. */
export function schemeHeaders(scheme: WebhookAuthScheme): string[] {
  switch (scheme.kind) {
    case 'secret':
      return scheme.from.filter((place) => place !== 'path');
    case 'hmac':
      return [scheme.signatureHeader, ...(scheme.timestampHeader ? [scheme.timestampHeader] : [])];
    case 'standard-webhooks':
      return ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  }
}
