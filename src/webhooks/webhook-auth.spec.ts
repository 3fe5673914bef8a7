import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { UnauthorizedError } from '../common/app-error.js';
import type { HmacScheme, WebhookAuthScheme } from '../vendors/webhook-auth-scheme.js';
import { checkBeforeBody, checkBody, secretMatches, standardWebhooksKey } from './webhook-auth.js';

describe('secretMatches', () => {
  const secret = 'vf-0123456789abcdef';
  it('matches the secret with or without a Bearer prefix on either side', () => {
    expect(secretMatches(secret, secret)).toBe(true);
    expect(secretMatches(`Bearer ${secret}`, secret)).toBe(true);
    expect(secretMatches(`bearer ${secret}`, `Bearer ${secret}`)).toBe(true);
    expect(secretMatches(secret, `Bearer ${secret}`)).toBe(true);
  });

  it('refuses other values, prefixes of the secret, and anything when no secret is configured', () => {
    expect(secretMatches('vf-0123456789abcdeF', secret)).toBe(false);
    expect(secretMatches('vf-0123456789abcde', secret)).toBe(false);
    expect(secretMatches('', secret)).toBe(false);
    expect(secretMatches(undefined, secret)).toBe(false);
    expect(secretMatches(secret, null)).toBe(false);
  });
});

describe('signature schemes', () => {
  const key = 'key_0123456789abcdef0123';
  const body = Buffer.from('{"event":"call_ended","call":{"call_id":"c1"}}');
  const now = new Date('2026-11-30T12:00:00Z');
  const retell: HmacScheme = {
    kind: 'hmac',
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'x-retell-signature',
    pairs: { timestamp: 'v', signature: 'd' },
    signaturePrefix: null,
    timestampHeader: null,
    timestampUnit: 'ms',
    signedPayload: '{body}{timestamp}',
    toleranceSeconds: 300,
  };
  const headers =
    (values: Record<string, string>) =>
    (name: string): string | undefined =>
      values[name];
  const retellHeader = (at: Date, payload: Buffer = body): string => {
    const timestamp = String(at.getTime());
    const digest = createHmac('sha256', key).update(payload).update(timestamp).digest('hex');
    return `v=${timestamp},d=${digest}`;
  };
  const verify = (scheme: WebhookAuthScheme, values: Record<string, string>, payload: Buffer = body): void => {
    const presented = { header: headers(values), now };
    checkBeforeBody(scheme, presented, key);
    checkBody(scheme, presented, key, payload);
  };

  it('accepts a signature over the raw body and the timestamp (body then timestamp)', () => {
    expect(() => verify(retell, { 'x-retell-signature': retellHeader(now) })).not.toThrow();
    expect(() =>
      verify(retell, { 'x-retell-signature': retellHeader(new Date(now.getTime() - 299_000)) }),
    ).not.toThrow();
  });

  it('refuses a wrong key, an altered byte, a stale or future timestamp, a missing or malformed header', () => {
    const valid = retellHeader(now);
    const altered = Buffer.from(body);
    altered[5] = altered[5]! ^ 1;
    expect(() => verify(retell, { 'x-retell-signature': valid }, altered)).toThrow('wrong webhook signature');
    const otherKey = createHmac('sha256', 'key_other').update(body).update(String(now.getTime())).digest('hex');
    expect(() => verify(retell, { 'x-retell-signature': `v=${now.getTime()},d=${otherKey}` })).toThrow(
      'wrong webhook signature',
    );
    expect(() => verify(retell, { 'x-retell-signature': retellHeader(new Date(now.getTime() - 6 * 60_000)) })).toThrow(
      'more than 300 s from now',
    );
    expect(() => verify(retell, { 'x-retell-signature': retellHeader(new Date(now.getTime() + 6 * 60_000)) })).toThrow(
      'more than 300 s from now',
    );
    expect(() => verify(retell, {})).toThrow('missing webhook signature (x-retell-signature)');
    expect(() => verify(retell, { 'x-retell-signature': 'd=abc' })).toThrow('malformed webhook signature');
    expect(() => verify(retell, { 'x-retell-signature': `v=${now.getTime()},d=zz` })).toThrow(
      'wrong webhook signature',
    );
    // The timestamp is signed: moving it forward breaks the signature.
    const [, digest] = /d=(\w+)/.exec(valid)!;
    expect(() => verify(retell, { 'x-retell-signature': `v=${now.getTime() + 1},d=${digest}` })).toThrow(
      'wrong webhook signature',
    );
  });

  it('checks the headers and the window before the body is read', () => {
    const stale = retellHeader(new Date(now.getTime() - 6 * 60_000));
    expect(() => checkBeforeBody(retell, { header: headers({ 'x-retell-signature': stale }), now }, key)).toThrow(
      UnauthorizedError,
    );
    expect(() => checkBeforeBody(retell, { header: headers({}), now }, key)).toThrow(UnauthorizedError);
  });

  it('reads a timestamp in seconds, a separate timestamp header, a prefix, base64, and several signatures', () => {
    const seconds = String(Math.floor(now.getTime() / 1000));
    const elevenlabs: HmacScheme = {
      ...retell,
      signatureHeader: 'elevenlabs-signature',
      pairs: { timestamp: 't', signature: 'v0' },
      timestampUnit: 's',
      signedPayload: '{timestamp}.{body}',
    };
    const v0 = createHmac('sha256', key).update(`${seconds}.`).update(body).digest('hex');
    expect(() =>
      verify(elevenlabs, { 'elevenlabs-signature': `t=${seconds},v0=${'0'.repeat(64)},v0=${v0}` }),
    ).not.toThrow();
    const vapi: HmacScheme = {
      ...retell,
      signatureHeader: 'x-signature',
      pairs: null,
      timestampHeader: 'x-timestamp',
      timestampUnit: 'auto',
      signedPayload: '{timestamp}.{body}',
      signaturePrefix: 'sha256=',
      encoding: 'base64',
    };
    for (const timestamp of [seconds, String(now.getTime())]) {
      const signature = createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('base64');
      expect(() => verify(vapi, { 'x-signature': `sha256=${signature}`, 'x-timestamp': timestamp })).not.toThrow();
    }
    expect(() => verify(vapi, { 'x-signature': 'sha256=AAAA' })).toThrow('missing webhook signature timestamp');
    const bodyOnly: HmacScheme = { ...vapi, timestampHeader: null, signedPayload: '{body}', encoding: 'hex' };
    const plain = createHmac('sha256', key).update(body).digest('hex');
    expect(() => verify(bodyOnly, { 'x-signature': plain })).not.toThrow();
  });

  it('verifies Standard Webhooks signatures keyed with the whsec_ secret', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const scheme: WebhookAuthScheme = { kind: 'standard-webhooks', toleranceSeconds: 300 };
    const timestamp = String(Math.floor(now.getTime() / 1000));
    const signature = createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef'))
      .update(`msg_1.${timestamp}.`)
      .update(body)
      .digest('base64');
    const values = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,bm90IGl0 v1,${signature}`,
    };
    const presented = { header: headers(values), now };
    expect(() => checkBeforeBody(scheme, presented, secret)).not.toThrow();
    expect(() => checkBody(scheme, presented, secret, body)).not.toThrow();
    expect(() =>
      checkBody(scheme, { ...presented, header: headers({ ...values, 'webhook-id': 'msg_2' }) }, secret, body),
    ).toThrow('wrong webhook signature');
  });

  it('closes a Standard Webhooks endpoint whose secret is not base64 of enough bytes, instead of keying with less', () => {
    const scheme: WebhookAuthScheme = { kind: 'standard-webhooks', toleranceSeconds: 300 };
    const timestamp = String(Math.floor(now.getTime() / 1000));
    // Node decodes text that is not base64 by dropping what it cannot read: 24 "!" would be an empty key.
    const signedWithEmptyKey = createHmac('sha256', Buffer.alloc(0))
      .update(`msg_1.${timestamp}.`)
      .update(body)
      .digest('base64');
    const presented = {
      header: headers({
        'webhook-id': 'msg_1',
        'webhook-timestamp': timestamp,
        'webhook-signature': `v1,${signedWithEmptyKey}`,
      }),
      now,
    };
    for (const secret of ['!'.repeat(24), 'whsec_c2hvcnQ=', `whsec_${'A'.repeat(31)}`]) {
      expect(() => checkBeforeBody(scheme, presented, secret)).toThrow('not a Standard Webhooks secret');
      expect(() => checkBody(scheme, presented, secret, body)).toThrow('not a Standard Webhooks secret');
    }
    expect(standardWebhooksKey(`whsec_${Buffer.alloc(24, 7).toString('base64')}`)).toEqual(Buffer.alloc(24, 7));
  });
});
