import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.js';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

const ADMIN_TOKEN = 'admin-token-never-logged-0123';
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { ADMIN_TOKEN, WEBHOOK_MAX_BODY_BYTES: String(256 * 1024) } });
});
afterAll(async () => {
  await t.close();
});

describe('security', () => {
  it('never logs secrets, tokens, phone numbers, emails, names or payload text, across ingest, sync and failures', async () => {
    const people = [
      { number: chinaMobile(7001), name: '赵敏', email: 'zhao.min@example.com' },
      { number: chinaMobile(7002), name: 'Jane Roe', email: 'jane.roe@example.org' },
    ];
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch(
        people.map((person, index) => ({
          ...yunfuCall({ callid: `pii-${index}`, number: person.number }),
          customer_data: { name: person.name, email: person.email },
        })),
      ),
    );
    await postJson(`${t.url}/webhooks/voicefox`, voicefoxEvent('callin-collect', 'vf-pii-1', chinaMobile(7003)), {
      authorization: `Bearer ${VOICEFOX_SECRET}`,
    });
    // Refusals: wrong secrets (path, header, query string), bad payloads, and an admin call without a token.
    await postJson(`${t.url}/webhooks/yunfu/guessed-secret-in-path-000`, fixture('yunfu', 'seed-inbound-success'));
    await postJson(
      `${t.url}/webhooks/voicefox?token=secret-in-query-string-000`,
      fixture('voicefox', 'callin-collect'),
    );
    await postJson(`${t.url}/webhooks/yunfu?secret=${YUNFU_SECRET}`, fixture('yunfu', 'seed-inbound-success'));
    await postJson(
      `${t.url}/webhooks/voicefox`,
      { event_name: 'callin.collect', event_data: { caller: '13900000000' } },
      { authorization: `Bearer ${VOICEFOX_SECRET}` },
    );
    await fetch(`${t.url}/admin/mapping/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong-admin-token-000' },
    });
    // A HubSpot failure: the token is revoked for a while (sync pauses, then resumes).
    t.emulator.setAuth({ revoked: true });
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'pii-auth', number: chinaMobile(7004) })]),
    );
    await expect
      .poll(async () => (await t.inbox.findByKey('yunfu', 'pii-auth'))?.status, { timeout: 5_000 })
      .toBe('pending');
    t.emulator.setAuth({ revoked: false });
    await t.settled();

    const text = JSON.stringify(t.logs);
    expect(t.logs.length).toBeGreaterThan(20);
    const forbidden = [
      VOICEFOX_SECRET,
      YUNFU_SECRET,
      ADMIN_TOKEN,
      'pat-test-0000-0000',
      'secret-in-query-string-000',
      'guessed-secret-in-path-000',
      'wrong-admin-token-000',
      ...people.flatMap((person) => [person.number, `+86${person.number}`, person.name, person.email]),
      chinaMobile(7003),
      '13900000000',
      '感兴趣',
      '客户对产品感兴趣',
      'li.wei@example.com',
      'media.voicefox.example',
    ];
    for (const value of forbidden) expect(text, `the logs mention ${value.slice(0, 6)}…`).not.toContain(value);
    // Requests are logged by route pattern, never by URL.
    expect(t.logs.filter((line) => line['msg'] === 'http request').map((line) => line['route'])).toContain(
      '/webhooks/:vendor/:secret',
    );
  });

  it('does not take a secret from the query string', async () => {
    const response = await postJson(
      `${t.url}/webhooks/yunfu?secret=${YUNFU_SECRET}`,
      fixture('yunfu', 'seed-inbound-success'),
    );
    expect(response.status).toBe(401);
  });

  it('refuses admin endpoints without the admin token', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope-nope-nope-nope' },
      { authorization: `Bearer ${VOICEFOX_SECRET}` },
    ];
    for (const headers of attempts) {
      expect((await fetch(`${t.url}/admin/mapping/reload`, { method: 'POST', headers })).status).toBe(401);
      expect(
        (await fetch(`${t.url}/admin/mapping/preview?vendor=yunfu`, { method: 'POST', headers, body: '{}' })).status,
      ).toBe(401);
    }
  });

  it('refuses an oversized body while it is still arriving, without buffering it whole', async () => {
    const limit = 256 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const result = await new Promise<{ status: number; sentBeforeAnswer: number }>((resolve) => {
      let sent = 0;
      let answered: { status: number; sentBeforeAnswer: number } | null = null;
      const url = new URL('/webhooks/voicefox', t.url);
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${VOICEFOX_SECRET}`,
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
        },
        (response) => {
          answered = { status: response.statusCode ?? 0, sentBeforeAnswer: sent };
          response.resume();
        },
      );
      const finish = (): void => resolve(answered ?? { status: 0, sentBeforeAnswer: sent });
      request.on('error', finish);
      request.on('close', finish);
      // Offer up to 64 MiB, a chunk at a time, until the server answers or hangs up.
      const pump = (): void => {
        if (answered || request.destroyed || sent >= 64 * 1024 * 1024) {
          request.end();
          return;
        }
        sent += chunk.length;
        if (request.write(chunk)) setImmediate(pump);
        else request.once('drain', pump);
      };
      pump();
    });
    process.stdout.write(
      `[reliability] oversized body: answered ${result.status} after ${(result.sentBeforeAnswer / 1024 / 1024).toFixed(2)} MiB offered (limit ${limit / 1024} KiB)\n`,
    );
    expect(result.status).toBe(413);
    expect(result.sentBeforeAnswer).toBeLessThan(16 * 1024 * 1024);
    expect(await t.inbox.findByKey('voicefox', 's:callin.collect')).toBeUndefined();
  });
});
