import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture, fixtureText } from '../support/fixtures.js';
import { postJson, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

let t: TestApp;
const auth = { authorization: `Bearer ${VOICEFOX_SECRET}` };

beforeAll(async () => {
  t = await startTestApp({ env: { WEBHOOK_MAX_BODY_BYTES: '4096' } });
});
afterAll(async () => {
  await t.close();
});
afterEach(async () => {
  // Every request in this file is refused: none may leave a row behind.
  expect(await t.inbox.list()).toEqual([]);
});

/** The `error` of a refusal's JSON body. */
function refusal(body: string): { code: string; message: string } {
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

/** Sends raw bytes with full control over headers (chunked bodies, lying Content-Type). */
function rawPost(path: string, body: Buffer | string, headers: Record<string, string>, chunked = false) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(path, t.url);
    const request = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    if (chunked) {
      const data = Buffer.from(body);
      for (let offset = 0; offset < data.length; offset += 1024) request.write(data.subarray(offset, offset + 1024));
      request.end();
    } else request.end(body);
  });
}

describe('refused webhooks', () => {
  it('answers 404 for an unknown vendor', async () => {
    const response = await postJson(`${t.url}/webhooks/acme`, {}, auth);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      error: { code: 'unknown_vendor', message: 'no webhook endpoint for this vendor' },
    });
    expect((await postJson(`${t.url}/webhooks/voicefox/${VOICEFOX_SECRET}`, {}, auth)).status).toBe(404);
  });

  it('answers 401 for a missing secret and for a wrong one', async () => {
    const missing = await postJson(`${t.url}/webhooks/voicefox`, fixture('voicefox', 'callin-collect'));
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 'unauthorized', message: 'missing webhook secret' } });
    const wrong = await postJson(`${t.url}/webhooks/voicefox`, fixture('voicefox', 'callin-collect'), {
      authorization: 'Bearer not-the-secret-at-all',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: 'wrong webhook secret' } });
    const wrongPath = await postJson(
      `${t.url}/webhooks/yunfu/not-the-secret-at-all`,
      fixture('yunfu', 'seed-inbound-success'),
    );
    expect(wrongPath.status).toBe(401);
    const otherVendorsSecret = await postJson(
      `${t.url}/webhooks/yunfu/${VOICEFOX_SECRET}`,
      fixture('yunfu', 'seed-inbound-success'),
    );
    expect(otherVendorsSecret.status).toBe(401);
  });

  it('answers 413 for a body over the limit, declared or chunked', async () => {
    const big = JSON.stringify({
      event_name: 'callin.collect',
      event_data: { session_id: 's', pad: 'x'.repeat(8000) },
    });
    const declared = await rawPost('/webhooks/voicefox', big, {
      ...auth,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(big)),
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toEqual({
      error: { code: 'payload_too_large', message: 'the body is larger than the limit of 4096 bytes' },
    });
    const chunked = await rawPost(
      '/webhooks/voicefox',
      big,
      { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      true,
    );
    expect(chunked.status).toBe(413);
  });

  it('answers 415 for a body that is not declared as JSON', async () => {
    const response = await rawPost('/webhooks/voicefox', 'event_name=callin.collect', {
      ...auth,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
    expect(refusal(response.body).code).toBe('unsupported_media_type');
  });

  it('answers 400 for a body that is not valid JSON, or empty', async () => {
    const broken = await rawPost('/webhooks/voicefox', '{"event_name": "callin.collect", ', {
      ...auth,
      'content-type': 'application/json',
    });
    expect(broken.status).toBe(400);
    expect(refusal(broken.body)).toMatchObject({ code: 'invalid_json' });
    const empty = await rawPost('/webhooks/yunfu', '', {
      authorization: YUNFU_SECRET,
      'content-type': 'application/json',
    });
    expect(empty.status).toBe(400);
    expect(refusal(empty.body).message).toBe('the body is not valid JSON: the body is empty');
  });

  it('answers 400 for JSON nested absurdly deep', async () => {
    const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    const response = await rawPost('/webhooks/voicefox', deep, { ...auth, 'content-type': 'application/json' });
    expect(response.status).toBe(400);
    expect(refusal(response.body).message).toBe('the body is not valid JSON: nested deeper than 32 levels');
  });

  it.each([
    ['a JSON array', [1, 2], 'body', 'must be a JSON object'],
    ['no event_name', { event_data: {} }, 'event_name', 'must be a string'],
    ['event_data a string', { event_name: 'callin.collect', event_data: 'x' }, 'event_data', 'must be a JSON object'],
    [
      'no session_id',
      { event_name: 'callin.collect', event_data: { caller: '17534989887' } },
      'event_data.session_id',
      'must be text or a whole number',
    ],
    [
      'collect_targets not a list',
      { event_name: 'callin.collect', event_data: { session_id: 's1', collect_targets: {} } },
      'event_data.collect_targets',
      'must be an array',
    ],
    [
      'a collect target of the wrong type',
      {
        event_name: 'task.call.collect',
        event_data: { session_id: 's1', collect_targets: [{ hit: true }, { question: ['x'] }] },
      },
      'event_data.collect_targets[1].question',
      'must be a string, number or boolean',
    ],
    [
      'duration not a number',
      { event_name: 'callin.hangup', event_data: { session_id: 's1', duration: 'long' } },
      'event_data.duration',
      'must be a number',
    ],
  ])('answers 400 naming the field for VoiceFox JSON of the wrong shape: %s', async (_name, body, field, problem) => {
    const response = await postJson(`${t.url}/webhooks/voicefox`, body, auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code: 'invalid_payload', message: `${field}: ${problem}`, field } });
  });

  it.each([
    ['no data', { count: 1 }, 'data', 'must be an array'],
    ['empty data', { count: 0, data: [] }, 'data', 'must contain at least 1 elements'],
    ['count not a number', { count: 'many', data: [{}] }, 'count', 'must be a number'],
    ['every item invalid', { count: 2, data: [{ callid: 'c1' }, 5] }, 'data[0].number_data', 'must be a JSON object'],
  ])(
    'answers 400 naming the field for a Yunfu callback of the wrong shape: %s',
    async (_name, body, field, problem) => {
      const response = await postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { code: 'invalid_payload', message: `${field}: ${problem}`, field } });
    },
  );

  it('answers 404 as JSON for other routes and methods', async () => {
    const response = await fetch(`${t.url}/webhooks/voicefox`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } });
  });

  it('never answers 5xx to a hostile mix of requests, and keeps serving', async () => {
    const bodies = [
      'null',
      'true',
      '"text"',
      '0',
      '{"event_name":null,"event_data":null}',
      '{"__proto__":{"polluted":1},"event_name":"x"}',
      '{"event_name":"callin.collect","event_data":{"session_id":{"$gt":""}}}',
      '\u0000\u0001',
      '{"a":"\ud800"}',
      fixtureText('voicefox', 'callin-collect').slice(0, 200),
    ];
    for (const body of bodies) {
      for (const path of ['/webhooks/voicefox', `/webhooks/yunfu/${YUNFU_SECRET}`]) {
        const response = await rawPost(path, body, { ...auth, 'content-type': 'application/json' });
        expect(response.status, `${path} ${body.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path} ${body.slice(0, 40)}`).toBeLessThan(500);
      }
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
  });
});

describe('a vendor without a configured secret', () => {
  it('is closed: 401 for every request, even with a plausible secret, and nothing stored', async () => {
    const closed = await startTestApp({ env: { VOICEFOX_WEBHOOK_SECRET: undefined, YUNFU_WEBHOOK_SECRET: undefined } });
    try {
      const attempts = [
        await postJson(`${closed.url}/webhooks/voicefox`, fixture('voicefox', 'callin-collect'), auth),
        await postJson(`${closed.url}/webhooks/voicefox`, fixture('voicefox', 'callin-collect')),
        await postJson(`${closed.url}/webhooks/yunfu/${YUNFU_SECRET}`, fixture('yunfu', 'seed-inbound-success')),
        await postJson(`${closed.url}/webhooks/yunfu`, fixture('yunfu', 'seed-inbound-success'), { authorization: '' }),
      ];
      expect(attempts.map((attempt) => attempt.status)).toEqual([401, 401, 401, 401]);
      expect(attempts[0]!.body).toEqual({
        error: { code: 'unauthorized', message: 'webhooks for voicefox are closed: no secret is configured' },
      });
      expect(await closed.inbox.list()).toEqual([]);
    } finally {
      await closed.close();
    }
  });
});

describe('the Yunfu IP allow-list', () => {
  const mapping = (allowed: string) => `vendors:\n  yunfu:\n    allowedIps: [${allowed}]\n`;

  it('refuses senders outside the list with 403 and admits those inside it', async () => {
    const outside = await startTestApp({ mappingYaml: mapping('203.0.113.0/24') });
    const inside = await startTestApp({ mappingYaml: mapping('203.0.113.7, 127.0.0.1') });
    try {
      const refused = await postJson(
        `${outside.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        fixture('yunfu', 'seed-inbound-success'),
      );
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'forbidden_source' } });
      expect(await outside.inbox.list()).toEqual([]);
      const admitted = await postJson(
        `${inside.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        fixture('yunfu', 'seed-inbound-success'),
      );
      expect(admitted.status).toBe(200);
    } finally {
      await outside.close();
      await inside.close();
    }
  });
});
