import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/vendors/call-record.js';
import { fixture, fixtureText } from '../support/fixtures.js';
import { postJson, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

let t: TestApp;
const voicefox = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${VOICEFOX_SECRET}` }) =>
  postJson(`${t.url}/webhooks/voicefox`, body, headers);
const yunfu = (body: unknown) => postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
const recordsOf = async (vendor: string, key: string): Promise<CallRecord[]> => {
  const row = await t.inbox.findByKey(vendor, key);
  expect(row, `inbox row ${vendor}/${key}`).toBeDefined();
  return JSON.parse(row!.records ?? '[]') as CallRecord[];
};

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('the seed payloads, posted over HTTP', () => {
  it('stores the Yunfu seed once and maps it to the expected CallRecord', async () => {
    const response = await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      fixtureText('yunfu', 'seed-inbound-success'),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ code: 0, message: 'ok', received: 1, stored: 1, duplicates: 0 });
    expect(response.headers.get('x-correlation-id')).toMatch(/^[\w-]{36}$/);
    await t.settled();

    const row = await t.inbox.findByKey('yunfu', '3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
    expect(row).toMatchObject({ status: 'synced', event_name: 'call.success', revision: 1, attempts: 0 });
    expect(row!.hubspot_call_id).toMatch(/^\d+$/);
    expect(row!.hubspot_contact_id).toMatch(/^\d+$/);
    const [record] = await recordsOf('yunfu', '3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
    expect(record).toMatchObject({
      vendorCallId: '3e7ff3fb-2e65-4a51-b322-a01db56f8a90',
      direction: 'inbound',
      customer: { phone: { e164: '+8617534989887', raw: '17534989887' }, name: null },
      startedAt: '2025-09-25T13:39:55.000Z',
      answeredAt: '2025-09-25T13:39:55.000Z',
      endedAt: '2025-09-25T13:40:38.000Z',
      durationSeconds: 43,
      talkSeconds: 43,
      outcome: 'answered',
      intention: { code: '1', label: 'A' },
      tags: ['打出来的是什么号码'],
      recordingUrl: 'https://hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
      location: { province: '山西', city: '晋中', operator: '联通' },
    });
  });

  it('stores the VoiceFox seed once, answers 200 {} and maps its answers and analysis', async () => {
    const response = await voicefox(fixtureText('voicefox', 'seed-callin-collect'));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    await t.settled();
    // The sample's values are placeholders: no phone number, so no contact to log the call on (dead-lettered by default).
    expect(await t.inbox.findByKey('voicefox', '通话ID:callin.collect')).toMatchObject({
      status: 'dead',
      last_error: 'the call has no valid customer phone number, so no contact to log it on',
    });
    const [record] = await recordsOf('voicefox', '通话ID:callin.collect');
    expect(record).toMatchObject({
      vendorCallId: '通话ID',
      eventKind: 'collect',
      direction: 'inbound',
      answers: [{ questionId: 'string', question: 'string', answer: 'string', hit: false, note: 'string' }],
      analysis: [{ title: 'string', result: 'string' }],
    });
  });

  it('maps a realistic VoiceFox collect for the same customer: E.164, UTC instants, durations, intention, tags, answers', async () => {
    expect((await voicefox(fixture('voicefox', 'callin-collect'))).status).toBe(200);
    await t.settled();
    const [record] = await recordsOf('voicefox', 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10:callin.collect');
    expect(record).toMatchObject({
      customer: { phone: { e164: '+8617534989887' } },
      startedAt: '2025-09-25T13:39:55.000Z',
      endedAt: '2025-09-25T13:40:45.000Z',
      durationSeconds: 50,
      talkSeconds: 43,
      intention: { code: 'A', label: 'A' },
      tags: ['价格咨询', '回电'],
      recordingUrl: 'https://media.voicefox.example/records/vf-5f1c2a9e.mp3?expires=1758808845&sig=abc123',
    });
    expect(record!.answers).toHaveLength(3);
  });
});

describe('repeated and related deliveries', () => {
  it('answers a repeated delivery 200 and stores nothing new, also when repeats arrive concurrently', async () => {
    const before = (await t.inbox.list()).length;
    const payload = fixture('voicefox', 'callin-collect');
    const responses = await Promise.all(Array.from({ length: 5 }, () => voicefox(payload)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    // Key order and spacing do not make a delivery new.
    const reordered = JSON.stringify({ event_data: payload['event_data'], event_name: payload['event_name'] }, null, 4);
    expect((await voicefox(reordered)).status).toBe(200);
    const again = await yunfu(fixture('yunfu', 'seed-inbound-success'));
    expect(again.body).toMatchObject({ received: 1, stored: 0, duplicates: 1 });
    expect((await t.inbox.list()).length).toBe(before);
  });

  it('keeps hangup and collect of one session as two events of the same call', async () => {
    expect((await voicefox(fixture('voicefox', 'callin-hangup'))).status).toBe(200);
    await t.settled();
    const [hangup] = await recordsOf('voicefox', 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10:callin.hangup');
    const [collect] = await recordsOf('voicefox', 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10:callin.collect');
    expect(hangup!.vendorCallId).toBe(collect!.vendorCallId);
    expect([hangup!.eventKind, collect!.eventKind]).toEqual(['hangup', 'collect']);
  });

  it('stores a changed payload for a known call (a re-grade) as a new revision and syncs it again', async () => {
    const regraded = fixture<{ count: number; data: Array<Record<string, unknown>> }>('yunfu', 'seed-inbound-success');
    regraded.data[0]!['intention_results'] = 2;
    const response = await yunfu(regraded);
    expect(response.body).toMatchObject({ received: 1, stored: 1, duplicates: 0 });
    await t.settled();
    const row = await t.inbox.findByKey('yunfu', '3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
    expect(row).toMatchObject({ revision: 2, status: 'synced' });
    const [record] = await recordsOf('yunfu', '3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
    expect(record!.intention).toEqual({ code: '2', label: 'B' });
  });

  it('stores a Yunfu batch of 3 as three events, all synced', async () => {
    const response = await yunfu(fixture('yunfu', 'batch-3'));
    expect(response.body).toMatchObject({ received: 3, stored: 3, duplicates: 0 });
    await t.settled();
    for (const id of ['1111', '2222', '3333']) {
      const row = await t.inbox.findByKey('yunfu', `6a1b7c2d-${id}-4e5f-8a9b-0c1d2e3f4a5b`);
      expect(row?.status).toBe('synced');
    }
  });

  it('keeps the valid items of a batch with one bad item and dead-letters the bad one with its reason', async () => {
    const batch = fixture<{ data: Array<Record<string, unknown>> }>('yunfu', 'batch-one-bad');
    // Fresh call ids for the valid items, so that this batch is not a repeat of the previous test's.
    batch.data[0]!['callid'] = 'aaaa0000-1111-4e5f-8a9b-0c1d2e3f4a5b';
    batch.data[2]!['callid'] = 'aaaa0000-3333-4e5f-8a9b-0c1d2e3f4a5b';
    const response = await yunfu(batch);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ received: 3, stored: 3 });
    await t.settled();
    expect((await t.inbox.findByKey('yunfu', 'aaaa0000-1111-4e5f-8a9b-0c1d2e3f4a5b'))?.status).toBe('synced');
    expect((await t.inbox.findByKey('yunfu', 'aaaa0000-3333-4e5f-8a9b-0c1d2e3f4a5b'))?.status).toBe('synced');
    const bad = await t.inbox.findByKey('yunfu', '6a1b7c2d-bad0-4e5f-8a9b-0c1d2e3f4a5b');
    expect(bad).toMatchObject({ status: 'dead', last_error: 'invalid payload: data item.bill: must be a number' });
  });

  it('stores and acknowledges events that carry no call, and marks them skipped', async () => {
    for (const name of ['task-end', 'unknown-event']) {
      const response = await voicefox(fixture('voicefox', name));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
    }
    await t.settled();
    const skipped = await t.inbox.list({ vendor: 'voicefox', status: 'skipped' });
    expect(skipped.map((row) => row.event_name).sort()).toEqual(['agent.note.created', 'task.end']);
    expect(skipped.find((row) => row.event_name === 'task.end')?.last_error).toBe('event task.end carries no call');
  });

  it('accepts the Yunfu secret in an Authorization or X-Webhook-Secret header too', async () => {
    const batch = fixture<{ data: Array<Record<string, unknown>> }>('yunfu', 'intention-letter');
    const viaBearer = await postJson(`${t.url}/webhooks/yunfu`, batch, { authorization: `Bearer ${YUNFU_SECRET}` });
    expect(viaBearer.status).toBe(200);
    batch.data[0]!['callid'] = 'bbbb0000-4444-4f60-9bac-1d2e3f4a5b6c';
    const viaHeader = await postJson(`${t.url}/webhooks/yunfu`, batch, { 'x-webhook-secret': YUNFU_SECRET });
    expect(viaHeader.body).toMatchObject({ stored: 1 });
  });

  it('accepts the VoiceFox secret without the Bearer prefix', async () => {
    const payload = fixture<{ event_name: string; event_data: Record<string, unknown> }>(
      'voicefox',
      'task-call-collect-outbound',
    );
    expect((await voicefox(payload, { authorization: VOICEFOX_SECRET })).status).toBe(200);
  });
});

describe('health', () => {
  it('is live and ready while the store answers', async () => {
    const live = await fetch(`${t.url}/health/live`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${t.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { store: { status: 'up' } } });
  });
});

describe('metrics', () => {
  it('serves Prometheus text: requests by route and status, inbox events by status, HubSpot requests and sync state', async () => {
    await t.settled();
    const response = await fetch(`${t.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const synced = (await t.inbox.countByStatus()).synced;
    expect(synced).toBeGreaterThan(0);
    expect(text).toContain(`connector_inbox_events{status="synced"} ${synced}`);
    expect(text).toMatch(/connector_http_requests_total\{route="\/webhooks\/:vendor\/:secret",status="200"\} \d+/);
    expect(text).toMatch(/connector_hubspot_requests_total\{operation="calls\.create"\} \d+/);
    expect(text).toContain('connector_hubspot_sync_state{state="ok"} 1');
    expect(text).toContain('connector_mapping_reload_failed 0');
    expect(text).not.toContain(YUNFU_SECRET);
  });
});

describe('logs', () => {
  it('carry no phone number, email, name, secret or payload text', () => {
    const text = JSON.stringify(t.logs);
    // One line per webhook, with what was stored.
    expect(
      t.logs.some(
        (line) =>
          line['msg'] === 'http request' &&
          line['vendor'] === 'yunfu' &&
          line['stored'] === 1 &&
          typeof line['correlationId'] === 'string',
      ),
    ).toBe(true);
    expect(t.logs.some((line) => line['msg'] === 'call synced to HubSpot')).toBe(true);
    for (const secretOrPersonal of [
      VOICEFOX_SECRET,
      YUNFU_SECRET,
      '17534989887',
      '13800138000',
      'zhang.wei@example.com',
      'li.wei@example.com',
      '张伟',
      '王芳',
      '感兴趣',
      'Um5tQ1dGWXdlVGJYVUF1TDB',
    ]) {
      expect(text, `logs mention ${secretOrPersonal.slice(0, 4)}…`).not.toContain(secretOrPersonal);
    }
  });
});
