import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../common/app-error.js';
import type { HmacScheme, WebhookAuthScheme } from '../vendors/webhook-auth-scheme.js';

/** A request header by its lower-case name (the first value if repeated). */
export type HeaderReader = (name: string) => string | undefined;

/** What a delivery presents before its body is read. */
export interface Presented {
  header: HeaderReader;
  /** The last path segment (`/webhooks/<vendor>/<secret>`), where the route has one. */
  pathSecret?: string | undefined;
  now: Date;
}

/**
 * Checks what can be checked before the body is read, and all of it for a shared secret: the secret's value; for a
 * signature, that its headers are there, well formed, and that its timestamp is within the window. A signed
 * delivery that fails here is refused without its body being read. Throws `UnauthorizedError` naming the problem
 * (never a value).
 */
export function checkBeforeBody(scheme: WebhookAuthScheme, presented: Presented, secret: string): void {
  switch (scheme.kind) {
    case 'secret': {
      const candidates = scheme.from.map((place) =>
        place === 'path' ? presented.pathSecret : presented.header(place.toLowerCase()),
      );
      // Every candidate is compared, so that timing does not tell which one was tried.
      const matches = candidates.map((candidate) => secretMatches(candidate, secret));
      if (!matches.includes(true)) {
        throw new UnauthorizedError(
          candidates.every((candidate) => candidate === undefined) ? 'missing webhook secret' : 'wrong webhook secret',
        );
      }
      return;
    }
    case 'hmac':
      readHmacSignature(scheme, presented);
      return;
    case 'standard-webhooks':
      standardWebhooksKey(secret);
      readStandardSignature(scheme.toleranceSeconds, presented);
      return;
  }
}

/** Checks a signature over the raw body (after `checkBeforeBody` passed); a shared secret has nothing left to check. */
export function checkBody(scheme: WebhookAuthScheme, presented: Presented, secret: string, body: Buffer): void {
  switch (scheme.kind) {
    case 'secret':
      return;
    case 'hmac': {
      const signed = readHmacSignature(scheme, presented);
      const hmac = createHmac(scheme.algorithm, secret);
      for (const part of signedParts(scheme.signedPayload)) {
        if (part === '{body}') hmac.update(body);
        else if (part === '{timestamp}') hmac.update(signed.timestamp ?? '');
        else hmac.update(part);
      }
      if (!anyMatches(hmac.digest(), signed.signatures, scheme.encoding))
        throw new UnauthorizedError('wrong webhook signature');
      return;
    }
    case 'standard-webhooks': {
      const signed = readStandardSignature(scheme.toleranceSeconds, presented);
      const key = standardWebhooksKey(secret);
      const digest = createHmac('sha256', key).update(`${signed.id}.${signed.timestamp}.`).update(body).digest();
      if (!anyMatches(digest, signed.signatures, 'base64')) throw new UnauthorizedError('wrong webhook signature');
      return;
    }
  }
}

/**
 * Compares a presented secret with the configured one in constant time: both are hashed first, so neither the
 * content nor the length of the secret leaks through timing. A `Bearer ` prefix on either side is ignored.
 */
export function secretMatches(presented: string | undefined | null, expected: string | null): boolean {
  if (expected === null || presented === undefined || presented === null) return false;
  const a = createHash('sha256').update(stripBearer(presented)).digest();
  const b = createHash('sha256').update(stripBearer(expected)).digest();
  return timingSafeEqual(a, b);
}

/** Fewer key bytes than this are refused: Standard Webhooks' own secrets hold 24 or 32. */
const MIN_STANDARD_KEY_BYTES = 16;

/**
 * The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`. Anything else (text that is not strict
 * base64, which Node would decode by dropping what it cannot read, down to an empty key) closes the endpoint.
 */
export function standardWebhooksKey(secret: string): Buffer {
  const text = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)
    ? Buffer.from(text, 'base64')
    : null;
  if (!key || key.length < MIN_STANDARD_KEY_BYTES) {
    throw new UnauthorizedError(
      `webhooks are closed: the secret is not a Standard Webhooks secret (whsec_ and the base64 of at least ${MIN_STANDARD_KEY_BYTES} bytes)`,
    );
  }
  return key;
}

/** `{body}{timestamp}` → `['{body}', '{timestamp}']`; `{timestamp}.{body}` → `['{timestamp}', '.', '{body}']`. */
export function signedParts(template: string): string[] {
  return template.split(/(\{body\}|\{timestamp\})/).filter((part) => part !== '');
}

interface Signed {
  timestamp: string | null;
  signatures: string[];
}

function readHmacSignature(scheme: HmacScheme, { header, now }: Presented): Signed {
  const raw = header(scheme.signatureHeader)?.trim();
  if (!raw) throw new UnauthorizedError(`missing webhook signature (${scheme.signatureHeader})`);
  let timestamp: string | null = null;
  let signatures: string[];
  if (scheme.pairs) {
    const pairs = raw.split(',').map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? ['', ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    });
    timestamp = pairs.find(([key]) => key === scheme.pairs!.timestamp)?.[1] ?? null;
    signatures = pairs.filter(([key, value]) => key === scheme.pairs!.signature && value !== '').map(([, v]) => v!);
    if (timestamp === null || signatures.length === 0)
      throw new UnauthorizedError(`malformed webhook signature (${scheme.signatureHeader})`);
  } else {
    signatures = [raw];
  }
  if (scheme.signaturePrefix) {
    const prefix = scheme.signaturePrefix;
    signatures = signatures.map((value) => (value.startsWith(prefix) ? value.slice(prefix.length) : value));
  }
  if (scheme.timestampHeader) {
    timestamp = header(scheme.timestampHeader)?.trim() ?? null;
    if (!timestamp) throw new UnauthorizedError(`missing webhook signature timestamp (${scheme.timestampHeader})`);
  }
  if (timestamp !== null) checkWindow(timestamp, scheme.timestampUnit, scheme.toleranceSeconds, now);
  return { timestamp, signatures };
}

function readStandardSignature(toleranceSeconds: number, { header, now }: Presented): Signed & { id: string } {
  const id = header('webhook-id')?.trim();
  const timestamp = header('webhook-timestamp')?.trim();
  const list = header('webhook-signature')?.trim();
  if (!id || !timestamp || !list) throw new UnauthorizedError('missing webhook signature (webhook-signature)');
  checkWindow(timestamp, 's', toleranceSeconds, now);
  const signatures = list
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => value!);
  if (signatures.length === 0) throw new UnauthorizedError('malformed webhook signature (webhook-signature)');
  return { id, timestamp, signatures };
}

function checkWindow(timestamp: string, unit: HmacScheme['timestampUnit'], toleranceSeconds: number, now: Date): void {
  if (!/^\d{1,16}$/.test(timestamp)) throw new UnauthorizedError('malformed webhook signature timestamp');
  const value = Number(timestamp);
  const ms = unit === 'ms' || (unit === 'auto' && value >= 1e11) ? value : value * 1000;
  if (Math.abs(now.getTime() - ms) > toleranceSeconds * 1000) {
    throw new UnauthorizedError(`webhook signature timestamp is more than ${toleranceSeconds} s from now`);
  }
}

/** Whether any presented signature equals the digest, in constant time for each (the digest's length is public). */
function anyMatches(digest: Buffer, presented: string[], encoding: 'hex' | 'base64'): boolean {
  let matched = false;
  for (const value of presented) {
    const candidate = decode(value, encoding);
    if (candidate && candidate.length === digest.length && timingSafeEqual(candidate, digest)) matched = true;
  }
  return matched;
}

function decode(value: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : null;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : null;
}

function stripBearer(value: string): string {
  return value.trim().replace(/^bearer\s+/i, '');
}
