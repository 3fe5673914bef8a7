import { afterEach, describe, expect, it } from 'vitest';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/** One odd field never loses a call, and ids at the edges are either exact or refused clearly. */
let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

/** Posts raw JSON text (to send what JSON.stringify would not write: lone surrogates, 19-digit numbers). */
async function postText(
  url: string,
  text: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const yunfuUrl = () => `${t!.url}/webhooks/yunfu/${YUNFU_SECRET}`;
const callsWithKey = (key: string) =>
  t!.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);

describe('ids at the edges', () => {
  it('refuses a call id with a lone surrogate, or a blank one, with a clear 400, and stores nothing', async () => {
    t = await startTestApp();
    const loneYunfu = JSON.stringify(
      yunfuBatch([yunfuCall({ callid: 'PLACEHOLDER', number: chinaMobile(4_000) })]),
    ).replace('PLACEHOLDER', 'abc\\ud800');
    expect(await postText(yunfuUrl(), loneYunfu)).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_payload',
          message: 'data[0].callid: must be well-formed Unicode text (it holds a lone surrogate)',
          field: 'data[0].callid',
        },
      },
    });
    const loneVoiceFox = JSON.stringify(voicefoxEvent('callin-collect', 'PLACEHOLDER')).replace(
      'PLACEHOLDER',
      '\\udc00vf',
    );
    const voicefox = await postText(`${t.url}/webhooks/voicefox`, loneVoiceFox, {
      authorization: `Bearer ${VOICEFOX_SECRET}`,
    });
    expect(voicefox).toMatchObject({
      status: 400,
      body: {
        error: {
          field: 'event_data.session_id',
          message: 'event_data.session_id: must be well-formed Unicode text (it holds a lone surrogate)',
        },
      },
    });
    for (const blank of ['   ', '\t', '', '\u200b', ' \ufeff\u2060 ']) {
      const answer = await postJson(yunfuUrl(), yunfuBatch([yunfuCall({ callid: blank, number: chinaMobile(4_001) })]));
      expect(answer).toMatchObject({
        status: 400,
        body: { error: { field: 'data[0].callid', message: 'data[0].callid: must not be empty or blank' } },
      });
    }
    expect(await t.inbox.list()).toEqual([]);
  });

  it('refuses a NUL character in a call id or an event name with a clear 400 (PostgreSQL text cannot hold one), and stores nothing', async () => {
    t = await startTestApp();
    const withNul = JSON.stringify(yunfuBatch([yunfuCall({ callid: 'abc\u0000def', number: chinaMobile(4_002) })]));
    expect(await postText(yunfuUrl(), withNul)).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_payload',
          message: 'data[0].callid: must not contain the NUL character (U+0000)',
          field: 'data[0].callid',
        },
      },
    });
    const event = voicefoxEvent('callin-collect', 'vf-nul');
    const nulEvent = await postText(
      `${t.url}/webhooks/voicefox`,
      JSON.stringify({ ...event, event_name: 'task.end\u0000' }),
      {
        authorization: `Bearer ${VOICEFOX_SECRET}`,
      },
    );
    expect(nulEvent).toMatchObject({
      status: 400,
      body: { error: { field: 'event_name', message: 'event_name: must not contain the NUL character (U+0000)' } },
    });
    // A NUL inside a payload's other text is data: JSON keeps it escaped, on both stores.
    const nulName = yunfuCall({ callid: 'nul-in-name', number: chinaMobile(4_003) });
    const stored = await postJson(yunfuUrl(), yunfuBatch([{ ...nulName, customer_data: { name: 'Li\u0000Lei' } }]));
    expect(stored.status).toBe(200);
    expect((await t.inbox.list()).map((row) => row.event_key)).toEqual(['nul-in-name']);
  });

  it('takes numeric call ids as their text, 19 digits exact, and keeps them to one HubSpot call through repeats and later events', async () => {
    t = await startTestApp();
    const long = '1234567890123456789';
    const item = (bill: number) =>
      JSON.stringify(
        yunfuBatch([{ ...yunfuCall({ callid: 'PLACEHOLDER', number: chinaMobile(4_010) }), bill }]),
      ).replace('"PLACEHOLDER"', long);
    expect((await postText(yunfuUrl(), item(43))).status).toBe(200);
    expect((await postText(yunfuUrl(), item(43))).body).toMatchObject({ duplicates: 1 });
    const short = await postJson(
      yunfuUrl(),
      yunfuBatch([{ ...yunfuCall({ callid: 'x', number: chinaMobile(4_011) }), callid: 12345 }]),
    );
    expect(short.status).toBe(200);
    await t.settled();
    // A re-grade of the long-id call (new content) updates the same call.
    expect((await postText(yunfuUrl(), item(50))).body).toMatchObject({ stored: 1 });
    await t.settled();
    expect((await t.inbox.findByKey('yunfu', long))?.status).toBe('synced');
    expect((await t.inbox.findByKey('yunfu', '12345'))?.status).toBe('synced');
    expect(callsWithKey(`yunfu:${long}`)).toHaveLength(1);
    expect(callsWithKey(`yunfu:${long}`)[0]!.properties['hs_call_duration']).toBe('50000');
    expect(callsWithKey('yunfu:12345')).toHaveLength(1);
    expect(t.emulator.listObjects('calls')).toHaveLength(2);

    // Spaces and invisible characters at an id's ends are not part of it: one call.
    await postJson(yunfuUrl(), yunfuBatch([yunfuCall({ callid: 'zw-1', number: chinaMobile(4_012) })]));
    await t.settled();
    await postJson(
      yunfuUrl(),
      yunfuBatch([{ ...yunfuCall({ callid: '\u200bzw-1 ', number: chinaMobile(4_012) }), bill: 77 }]),
    );
    await t.settled();
    expect(callsWithKey('yunfu:zw-1')).toHaveLength(1);
    expect(callsWithKey('yunfu:zw-1')[0]!.properties['hs_call_duration']).toBe('77000');
    expect(t.emulator.listObjects('calls')).toHaveLength(3);
  });
});

describe('values at the edges: the call is written, without what HubSpot could not take', () => {
  it('writes each call, with a warning where a field was left out', async () => {
    t = await startTestApp();
    const huge = 'x'.repeat(70_000);
    const calls = [
      { ...yunfuCall({ callid: 'edge-talk', number: chinaMobile(4_020) }), bill: 1e300 },
      { ...yunfuCall({ callid: 'edge-epoch', number: chinaMobile(4_021) }), calldate: 253_402_300_800_000 + 1_000 },
      {
        ...yunfuCall({ callid: 'edge-year', number: chinaMobile(4_022) }),
        calldate: '0050-01-01 00:00:00',
        answerdate: '0050-01-01 00:00:00',
      },
      {
        ...yunfuCall({ callid: 'edge-url', number: chinaMobile(4_023) }),
        voice_url: `https://media.example.com/${huge}.mp3`,
      },
      { ...yunfuCall({ callid: 'edge-task', number: chinaMobile(4_024) }), task: { id: 't', name: huge } },
      yunfuCall({ callid: 'edge-tag', number: chinaMobile(4_025), tags: ['\u200b回电\u200b', ' 价格 '] }),
    ];
    expect((await postJson(yunfuUrl(), yunfuBatch(calls))).status).toBe(200);
    const lineEvent = voicefoxEvent('callin-collect', 'vf-edge-line');
    (lineEvent['event_data'] as Record<string, unknown>)['callee'] = `9${'1'.repeat(70_000)}`;
    expect(
      (await postJson(`${t.url}/webhooks/voicefox`, lineEvent, { authorization: `Bearer ${VOICEFOX_SECRET}` })).status,
    ).toBe(200);
    await t.settled();

    const counts = await t.inbox.countByStatus();
    expect(counts).toMatchObject({ synced: 7, dead: 0 });
    const call = (key: string) => callsWithKey(key)[0]!.properties;
    expect(call('yunfu:edge-talk')['hs_call_duration'] ?? '').toBe('');
    expect((await t.inbox.findByKey('yunfu', 'edge-talk'))!.last_error).toContain(
      'hs_call_duration not written: a talk time of 1e+300 s is out of range',
    );
    // Times outside 1970–9999 (and the years 0000–0099) are not times: the call takes its next known time (answer,
    // then hang-up) instead of an invalid one.
    const instant = (value: string) => new Date(/^\d+$/.test(value) ? Number(value) : value).toISOString();
    expect(instant(call('yunfu:edge-epoch')['hs_timestamp']!)).toBe('2025-09-25T13:39:55.000Z');
    expect(instant(call('yunfu:edge-year')['hs_timestamp']!)).toBe('2025-09-25T13:40:38.000Z');
    expect(call('yunfu:edge-url')['hs_call_recording_url'] ?? '').toBe('');
    expect((await t.inbox.findByKey('yunfu', 'edge-url'))!.last_error).toContain('hs_call_recording_url not written');
    expect(call('yunfu:edge-task')['ai_call_campaign']).toHaveLength(65_536);
    expect(call('yunfu:edge-tag')['ai_call_tags']!.split(';').sort()).toEqual(['价格', '回电']);
    expect(call('voicefox:vf-edge-line')['hs_call_to_number']).toHaveLength(65_536);
  });

  it('writes a call whose numbers are too large to hold (1e400, 400 digits), without them, with a warning', async () => {
    t = await startTestApp();
    const text = JSON.stringify(
      yunfuBatch([
        { ...yunfuCall({ callid: 'edge-overflow', number: chinaMobile(4_030) }), bill: 'BILL', duration: 'DURATION' },
      ]),
    )
      .replace('"BILL"', '1e400')
      .replace('"DURATION"', '9'.repeat(400));
    expect((await postText(yunfuUrl(), text)).status).toBe(200);
    const event = voicefoxEvent('callin-hangup', 'vf-edge-overflow');
    const raw = JSON.stringify({
      ...event,
      event_data: { ...(event['event_data'] as Record<string, unknown>), billsec: 'BILLSEC' },
    }).replace('"BILLSEC"', '-1e999');
    expect(
      (await postText(`${t.url}/webhooks/voicefox`, raw, { authorization: `Bearer ${VOICEFOX_SECRET}` })).status,
    ).toBe(200);
    await t.settled();
    expect(await t.inbox.countByStatus()).toMatchObject({ synced: 2, dead: 0 });
    const yunfu = (await t.inbox.findByKey('yunfu', 'edge-overflow'))!;
    expect(yunfu.last_error).toContain('bill: a number too large to hold, left out');
    expect(yunfu.last_error).toContain('duration: a number too large to hold, left out');
    expect(callsWithKey('yunfu:edge-overflow')[0]!.properties['hs_call_duration'] ?? '').toBe('');
    const voicefox = (await t.inbox.list()).find((row) => row.vendor === 'voicefox')!;
    expect(voicefox.last_error).toContain('billsec: a number too large to hold, left out');
    expect(callsWithKey('voicefox:vf-edge-overflow')).toHaveLength(1);
  });
});
