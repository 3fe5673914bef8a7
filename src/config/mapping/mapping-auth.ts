import {
  DEFAULT_TOLERANCE_SECONDS,
  type HmacScheme,
  type WebhookAuthScheme,
} from '../../vendors/webhook-auth-scheme.js';
import type { Path, Reader } from './mapping-reader.js';

/** An HTTP header name (RFC 9110's token characters), as written in `config/mapping.yaml`. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const SCHEMES = ['secret', 'hmac', 'standard-webhooks'] as const;
const MAX_TOLERANCE_SECONDS = 3600;

/**
 * `vendors.<id>.auth`: how deliveries prove they are the vendor's, instead of the vendor's default. For example
 *
 *     auth: { scheme: secret, from: [X-Vapi-Secret] }            # the secret itself, in a header (or `path`)
 *     auth: { scheme: hmac, signatureHeader: x-signature, timestampHeader: x-timestamp,
 *             payload: '{timestamp}.{body}', algorithm: sha256, encoding: hex, toleranceSeconds: 300 }
 *     auth: { scheme: standard-webhooks }
 *
 * The key is always the vendor's secret setting. Every problem is reported with its line; on a problem the fallback
 * stays in force.
 */
export function readAuth(read: Reader, raw: unknown, path: Path, fallback: WebhookAuthScheme): WebhookAuthScheme {
  if (raw === undefined) return fallback;
  const map = read.map(raw, path, [
    'scheme',
    'from',
    'signatureHeader',
    'pairs',
    'signaturePrefix',
    'timestampHeader',
    'timestampUnit',
    'payload',
    'algorithm',
    'encoding',
    'toleranceSeconds',
  ]);
  if (!map) return fallback;
  const before = read.problems.length;
  if (map['scheme'] === undefined) {
    read.problem(path, `needs a scheme (${SCHEMES.join(', ')})`);
    return fallback;
  }
  const scheme = read.oneOf(map['scheme'], [...path, 'scheme'], SCHEMES, fallback.kind);
  const allowed: Record<(typeof SCHEMES)[number], string[]> = {
    secret: ['scheme', 'from'],
    hmac: Object.keys(map).filter((key) => key !== 'from'),
    'standard-webhooks': ['scheme', 'toleranceSeconds'],
  };
  for (const key of Object.keys(map))
    if (!allowed[scheme].includes(key)) read.problem([...path, key], `is not a setting of the ${scheme} scheme`);
  const header = (key: 'signatureHeader' | 'timestampHeader', required: boolean): string | null => {
    const value = read.text(map[key], [...path, key], null, (text) =>
      HEADER_NAME.test(text) ? null : 'must be an HTTP header name',
    );
    if (value === null && required) read.problem(path, `the ${scheme} scheme needs ${key}`);
    return value?.toLowerCase() ?? null;
  };
  const tolerance = (): number => {
    const value = map['toleranceSeconds'];
    if (value === undefined) return DEFAULT_TOLERANCE_SECONDS;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TOLERANCE_SECONDS) {
      read.problem(
        [...path, 'toleranceSeconds'],
        `must be a whole number of seconds from 1 to ${MAX_TOLERANCE_SECONDS}`,
      );
      return DEFAULT_TOLERANCE_SECONDS;
    }
    return value;
  };

  let result: WebhookAuthScheme;
  if (scheme === 'secret') {
    const from = read.list(map['from'], [...path, 'from']).flatMap((entry, index) => {
      if (entry === 'path') return ['path'];
      if (typeof entry === 'string' && HEADER_NAME.test(entry)) return [entry.toLowerCase()];
      read.problem([...path, 'from', index], 'must be an HTTP header name, or path (the last segment of the URL)');
      return [];
    });
    if (map['from'] === undefined || (from.length === 0 && read.problems.length === before))
      read.problem(path, 'the secret scheme needs from (header names, or path)');
    result = { kind: 'secret', from };
  } else if (scheme === 'standard-webhooks') {
    result = { kind: 'standard-webhooks', toleranceSeconds: tolerance() };
  } else {
    const signatureHeader = header('signatureHeader', true) ?? '';
    let pairs: HmacScheme['pairs'] = null;
    const rawPairs = read.map(map['pairs'], [...path, 'pairs'], ['timestamp', 'signature']);
    if (rawPairs) {
      const key = (name: 'timestamp' | 'signature') =>
        read.text(rawPairs[name], [...path, 'pairs', name], null, (text) =>
          /^[A-Za-z0-9_-]{1,20}$/.test(text) ? null : 'must be a short key such as t or v0',
        );
      const timestamp = key('timestamp');
      const signature = key('signature');
      if (timestamp === null || signature === null)
        read.problem([...path, 'pairs'], 'needs timestamp and signature (the keys in the signature header)');
      else pairs = { timestamp, signature };
    }
    const timestampHeader = header('timestampHeader', false);
    if (pairs && timestampHeader)
      read.problem(path, 'takes the timestamp from pairs or from timestampHeader, not both');
    const hasTimestamp = pairs !== null || timestampHeader !== null;
    const payload =
      read.text(map['payload'], [...path, 'payload'], null, (text) => {
        if (!text.includes('{body}')) return 'must contain {body}: the raw body is what is signed';
        if (text.includes('{timestamp}') && !hasTimestamp)
          return 'names {timestamp}, but no timestamp is configured (pairs or timestampHeader)';
        if (!text.includes('{timestamp}') && hasTimestamp)
          return 'must contain {timestamp}: a timestamp that is not signed lets anyone replay a delivery';
        return null;
      }) ?? (hasTimestamp ? '{timestamp}.{body}' : '{body}');
    result = {
      kind: 'hmac',
      algorithm: read.oneOf(map['algorithm'], [...path, 'algorithm'], ['sha256', 'sha512', 'sha1'] as const, 'sha256'),
      encoding: read.oneOf(map['encoding'], [...path, 'encoding'], ['hex', 'base64'] as const, 'hex'),
      signatureHeader,
      pairs,
      signaturePrefix: read.text(map['signaturePrefix'], [...path, 'signaturePrefix'], null),
      timestampHeader,
      timestampUnit: read.oneOf(map['timestampUnit'], [...path, 'timestampUnit'], ['s', 'ms', 'auto'] as const, 'auto'),
      signedPayload: payload,
      toleranceSeconds: tolerance(),
    };
  }
  return read.problems.length > before ? fallback : result;
}
