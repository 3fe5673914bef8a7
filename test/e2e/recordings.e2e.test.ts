import { createHmac } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingRepository, type RecordingRow } from '../../src/store/recording.repository.js';
import { fixture } from '../support/fixtures.js';
import { fakeMp3, sha256, startRecordingHost, type RecordingHost } from '../support/recording-host.js';
import {
  postJson,
  REPO_DIR,
  startTestApp,
  VOICEFOX_SECRET,
  waitFor,
  YUNFU_SECRET,
  type TestApp,
} from '../support/test-app.js';
import { emulatorFilesCertificate } from '@ai-call-hubspot-connector/hubspot-emulator';

/**
 * The recordings stage end to end: each vendor's audio, fetched where the vendor serves it (a link, Vapi's API with
 * its key, ElevenLabs' audio webhook), ends as a file in the emulator's File Manager on its call, and the file
 * serves the same bytes after the vendor's link has expired. Faulty recording hosts fail or retry their recording
 * with the reason while the calls sync and other recordings go on.
 */

const RETELL_KEY = 'key_3f9a1c7e5b2d4f60a8e1c3b5d7f9';
const VAPI_SECRET = 'vapi-test-secret-0123456789abcdef';
const VAPI_API_KEY = 'vapi-private-key-00000000-1111-2222';
const ELEVENLABS_SECRET = `wsec_${'8f3c2a1d'.repeat(8)}`;
const TOKEN = 'pat-test-0000-0000';

const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');

function appEnv(host: RecordingHost): Record<string, string> {
  return {
    RECORDINGS_ENABLED: 'true',
    RETELL_API_KEY: RETELL_KEY,
    VAPI_WEBHOOK_SECRET: VAPI_SECRET,
    VAPI_API_KEY,
    VAPI_API_BASE_URL: `${host.url}/vapi-api`,
    ELEVENLABS_WEBHOOK_SECRET: ELEVENLABS_SECRET,
    RECORDING_RETRY_BASE_MS: '300',
    RECORDING_CONNECT_TIMEOUT_MS: '1000',
    RECORDING_TIMEOUT_MS: '1500',
    RECORDING_MAX_BYTES: String(8 * 1024 * 1024),
    RECORDING_MAX_ATTEMPTS: '3',
  };
}

async function retellSignature(body: string): Promise<string> {
  const timestamp = Date.now();
  const digest = createHmac('sha256', RETELL_KEY).update(`${body}${timestamp}`).digest('hex');
  return Promise.resolve(`v=${timestamp},d=${digest}`);
}

function elevenLabsSignature(body: string): string {
  const at = Math.floor(Date.now() / 1000);
  return `t=${at},v0=${createHmac('sha256', ELEVENLABS_SECRET).update(`${at}.${body}`).digest('hex')}`;
}

/** One delivery per vendor, each with its recording where that vendor puts it. */
const deliver = {
  async voicefox(t: TestApp, sessionId: string, recordUrl: string) {
    const body = fixture<{ event_data: Record<string, unknown> }>('voicefox', 'callin-collect');
    body.event_data['session_id'] = sessionId;
    body.event_data['record_url'] = recordUrl;
    return postJson(`${t.url}/webhooks/voicefox`, body, { authorization: VOICEFOX_SECRET });
  },
  async yunfu(t: TestApp, callId: string, voiceUrl: string) {
    const body = fixture<{ count: number; data: Array<Record<string, unknown>> }>('yunfu', 'batch-3');
    const item = { ...body.data[0]!, callid: callId, voice_url: voiceUrl };
    return postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, { count: 1, data: [item] });
  },
  async retell(t: TestApp, callId: string, recordingUrl: string) {
    const body = fixture<{ call: Record<string, unknown> }>('retell', 'call-ended');
    body.call['call_id'] = callId;
    body.call['recording_url'] = recordingUrl;
    const text = JSON.stringify(body);
    return postJson(`${t.url}/webhooks/retell`, text, { 'x-retell-signature': await retellSignature(text) });
  },
  async vapi(t: TestApp, callId: string) {
    const body = fixture<{ message: { call: Record<string, unknown> } }>('vapi', 'inbound-report');
    body.message.call['id'] = callId;
    return postJson(`${t.url}/webhooks/vapi`, body, { authorization: `Bearer ${VAPI_SECRET}` });
  },
  async elevenlabsAudio(t: TestApp, conversationId: string, audio: Buffer) {
    const text = JSON.stringify({
      type: 'post_call_audio',
      event_timestamp: Math.floor(Date.now() / 1000),
      data: {
        agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
        conversation_id: conversationId,
        full_audio: audio.toString('base64'),
      },
    });
    return postJson(`${t.url}/webhooks/elevenlabs`, text, { 'elevenlabs-signature': elevenLabsSignature(text) });
  },
  async elevenlabsTranscription(t: TestApp, conversationId: string) {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'transcription-inbound');
    body.data['conversation_id'] = conversationId;
    const text = JSON.stringify(body);
    return postJson(`${t.url}/webhooks/elevenlabs`, text, { 'elevenlabs-signature': elevenLabsSignature(text) });
  },
};

/** The recording's row once it reached `state` (bounded wait). */
async function recordingOf(t: TestApp, callKey: string, state: RecordingRow['state'], timeoutMs = 15_000) {
  const recordings = t.app.get(RecordingRepository);
  let row: RecordingRow | null = null;
  await waitFor(async () => (row = await recordings.find(callKey))?.state === state, timeoutMs).catch(() => {
    throw new Error(`recording ${callKey} is ${JSON.stringify(row)}, not ${state}`);
  });
  return row!;
}

function callOf(t: TestApp, callKey: string) {
  const calls = t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === callKey);
  expect(calls, `calls for ${callKey}`).toHaveLength(1);
  return calls[0]!;
}

/** GET over https trusting the emulator's test certificate; answers status and body. */
function fetchHttps(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = httpsGet(url, { ca: emulatorFilesCertificate(), timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

/** A private file's bytes, as a logged-in user gets them: through a signed URL HubSpot's API gives. */
async function privateFileBytes(t: TestApp, fileId: string): Promise<Buffer> {
  const response = await fetch(`${t.emulator.url}/files/2026-09/files/${fileId}/signed-url`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  const { url } = (await response.json()) as { url: string };
  const file = await fetchHttps(url);
  expect(file.status).toBe(200);
  return file.body;
}

const VENDORS = ['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs'] as const;
type Vendor = (typeof VENDORS)[number];

/**
 * A call of each vendor with its recording where that vendor serves it (Vapi's through its API, which redirects to
 * storage on another origin), waited for until stored; then every vendor link expires. Checks what both modes share:
 * the file's folder and name, its digest, one file per recording, no phone in a name, Vapi's key kept to Vapi.
 */
async function deliverEveryVendor(t: TestApp, host: RecordingHost, storage: RecordingHost, tag: string) {
  const audio: Record<Vendor, Buffer> = {
    voicefox: fakeMp3(300_000),
    yunfu: fakeMp3(200_000),
    retell: fakeMp3(250_000),
    vapi: fakeMp3(150_000),
    elevenlabs: fakeMp3(180_000),
  };
  const ids: Record<Vendor, string> = {
    voicefox: `vf-${tag}-1`,
    yunfu: `yf-${tag}-1`,
    retell: `call_${tag}_1`,
    vapi: `vapi-call-${tag}-1`,
    elevenlabs: `conv_${tag}_1`,
  };
  const filesBefore = t.emulator.files().length;
  const vapiStorage = storage.serve(`/storage/${ids.vapi}.mp3`, audio.vapi);
  host.redirect(`/vapi-api/call/${ids.vapi}/mono-recording`, vapiStorage, `Bearer ${VAPI_API_KEY}`);
  expect((await deliver.voicefox(t, ids.voicefox, host.serve(`/voicefox/${tag}.mp3`, audio.voicefox))).status).toBe(
    200,
  );
  expect((await deliver.yunfu(t, ids.yunfu, host.serve(`/yunfu/${tag}`, audio.yunfu))).status).toBe(200);
  expect((await deliver.retell(t, ids.retell, host.serve(`/retell/${tag}.mp3`, audio.retell))).status).toBe(200);
  expect((await deliver.vapi(t, ids.vapi)).status).toBe(200);
  expect((await deliver.elevenlabsTranscription(t, ids.elevenlabs)).status).toBe(200);
  expect((await deliver.elevenlabsAudio(t, ids.elevenlabs, audio.elevenlabs)).status).toBe(200);

  const rows = {} as Record<Vendor, RecordingRow>;
  for (const vendor of VENDORS) rows[vendor] = await recordingOf(t, `${vendor}:${ids[vendor]}`, 'stored');
  // The vendor's links expire: what the rep opens is HubSpot's copy.
  for (const path of [`/voicefox/${tag}.mp3`, `/yunfu/${tag}`, `/retell/${tag}.mp3`]) host.expire(path);
  storage.expire(`/storage/${ids.vapi}.mp3`);
  expect((await fetch(`${host.url}/voicefox/${tag}.mp3`)).status).toBe(404);

  const month = new Date().toISOString().slice(0, 7);
  for (const vendor of VENDORS) {
    const row = rows[vendor];
    const file = t.emulator.files().find((entry) => entry.id === row.file_id)!;
    expect(file.path, vendor).toBe(`/ai-calls/${month}/${row.file_name}.mp3`);
    expect(row.file_name, vendor).toBe(`${vendor}-${ids[vendor]}`);
    expect(row.sha256, vendor).toBe(sha256(audio[vendor]));
    expect(file.sha256, vendor).toBe(sha256(audio[vendor]));
  }
  // One file per recording, and no phone number in any file name.
  expect(t.emulator.files()).toHaveLength(filesBefore + VENDORS.length);
  for (const file of t.emulator.files()) expect(file.path).not.toMatch(/\d{7,}/);
  // Vapi's key went to Vapi's API only, not to the storage it redirected to.
  const vapiApi = host.requests.filter((request) => request.path === `/vapi-api/call/${ids.vapi}/mono-recording`);
  expect(vapiApi.length).toBeGreaterThan(0);
  expect(vapiApi.every((request) => request.authorization === `Bearer ${VAPI_API_KEY}`)).toBe(true);
  const stored = storage.requests.filter((request) => request.path === `/storage/${ids.vapi}.mp3`);
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.every((request) => request.authorization === null)).toBe(true);
  return { rows, audio };
}

describe('recordings kept in HubSpot (attach, the default)', () => {
  let host: RecordingHost;
  /** Where Vapi's API redirects to: storage on another origin (Vapi's bucket). */
  let storage: RecordingHost;
  let t: TestApp;
  beforeAll(async () => {
    host = await startRecordingHost();
    storage = await startRecordingHost();
    t = await startTestApp({ env: appEnv(host) });
  });
  afterAll(async () => {
    await t?.close();
    await host?.close();
    await storage?.close();
  });

  it("keeps each vendor's recording as a private file attached to its call, serving the vendor's bytes after the vendor's link expired", async () => {
    const { rows, audio } = await deliverEveryVendor(t, host, storage, 'rec');
    for (const vendor of VENDORS) {
      const row = rows[vendor];
      const call = callOf(t, row.call_key);
      expect(call.properties['hs_attachment_ids']?.split(';'), vendor).toEqual([row.file_id]);
      expect(call.properties['hs_call_recording_url'] ?? '', vendor).toBe('');
      expect(t.emulator.files().find((entry) => entry.id === row.file_id)?.access, vendor).toBe('PRIVATE');
      expect(sha256(await privateFileBytes(t, row.file_id!)), vendor).toBe(sha256(audio[vendor]));
    }
  });

  it('keeps the ElevenLabs audio that arrived before its transcription on the call the transcription creates', async () => {
    const audio = fakeMp3(220_000);
    expect((await deliver.elevenlabsAudio(t, 'conv_audio_first', audio)).status).toBe(200);
    await t.settled();
    // The audio alone makes no call.
    expect(
      t.emulator
        .listObjects('calls')
        .filter((call) => call.properties['ai_call_key'] === 'elevenlabs:conv_audio_first'),
    ).toHaveLength(0);
    expect((await deliver.elevenlabsTranscription(t, 'conv_audio_first')).status).toBe(200);
    const row = await recordingOf(t, 'elevenlabs:conv_audio_first', 'stored');
    expect(callOf(t, 'elevenlabs:conv_audio_first').properties['hs_attachment_ids']).toBe(row.file_id);
    expect(sha256(await privateFileBytes(t, row.file_id!))).toBe(sha256(audio));
  });

  it('logs calls while the token lacks the files scope, keeps their recordings waiting without counting a failure, and stores them once it is granted', async () => {
    const audio = fakeMp3(90_000);
    const filesBefore = t.emulator.files().length;
    t.emulator.setAuth({ missingScopes: ['files'] });
    try {
      expect((await deliver.voicefox(t, 'vf-no-scope', host.serve('/scope/rec.mp3', audio))).status).toBe(200);
      await t.settled();
      callOf(t, 'voicefox:vf-no-scope');
      await waitFor(async () => {
        const health = (await (await fetch(`${t.url}/health/ready`)).json()) as {
          details: { recordings: { state: string; reason?: string } };
        };
        return (
          health.details.recordings.state === 'paused' && /files scope/.test(health.details.recordings.reason ?? '')
        );
      }, 10_000);
      const waiting = await t.app.get(RecordingRepository).find('voicefox:vf-no-scope');
      expect(waiting).toMatchObject({ state: 'pending', attempts: 0 });
      expect(t.emulator.files()).toHaveLength(filesBefore);
    } finally {
      t.emulator.setAuth({ missingScopes: [] });
    }
    const row = await recordingOf(t, 'voicefox:vf-no-scope', 'stored', 30_000);
    expect(sha256(await privateFileBytes(t, row.file_id!))).toBe(sha256(audio));
  });

  it('syncs every call and keeps the good recording while hosts hang, fail, redirect to a private address or serve 2 GB', async () => {
    const good = fakeMp3(120_000);
    const links = {
      hang: host.hang('/bad/hang.mp3'),
      error: host.fail('/bad/error.mp3', 500),
      private: host.redirect('/bad/private.mp3', 'http://10.1.2.3/recording.mp3'),
      huge: host.endless('/bad/huge.mp3', 2 * 1024 * 1024 * 1024),
      good: host.serve('/good/ok.mp3', good),
    };
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    try {
      for (const [name, link] of Object.entries(links))
        expect((await deliver.voicefox(t, `vf-bad-${name}`, link)).status).toBe(200);
      await t.settled();
      // Every call is in HubSpot, whatever its recording host does.
      for (const name of Object.keys(links)) callOf(t, `voicefox:vf-bad-${name}`);
      const stored = await recordingOf(t, 'voicefox:vf-bad-good', 'stored');
      expect(sha256(await privateFileBytes(t, stored.file_id!))).toBe(sha256(good));

      const dead = async (name: string) => recordingOf(t, `voicefox:vf-bad-${name}`, 'dead', 20_000);
      expect((await dead('private')).last_error).toMatch(/private/);
      expect((await dead('huge')).last_error).toMatch(/cap|too large|over/i);
      // Retried with back-off, then given up (RECORDING_MAX_ATTEMPTS=3), each with its reason.
      const error = await dead('error');
      expect(error.last_error).toMatch(/500/);
      expect(error.attempts).toBe(3);
      const hang = await dead('hang');
      expect(hang.last_error).toMatch(/timed out/);
      expect(hang.attempts).toBe(3);
    } finally {
      clearInterval(sampler);
    }
    // The 2 GB body was cut at the cap, never held: memory stayed flat.
    expect(host.endlessSent()).toBeLessThan(64 * 1024 * 1024);
    const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
    expect(growthMb, `peak RSS grew ${growthMb.toFixed(0)} MB`).toBeLessThan(150);
    // Health names the dead letters; none of the calls failed.
    const health = (await (await fetch(`${t.url}/health/ready`)).json()) as {
      details: { recordings: { state: string; dead: number } };
    };
    expect(health.details.recordings.dead).toBe(4);
    expect(await t.inbox.countByStatus()).toMatchObject({ dead: 0, retrying: 0 });
  });
});

describe('recordings kept in HubSpot (link)', () => {
  let host: RecordingHost;
  let storage: RecordingHost;
  let t: TestApp;
  beforeAll(async () => {
    host = await startRecordingHost();
    storage = await startRecordingHost();
    const mappingYaml = shipped.replace(/^(\s+)mode: attach\b/m, '$1mode: link');
    expect(mappingYaml).toMatch(/^\s+mode: link\b/m);
    t = await startTestApp({ env: appEnv(host), mappingYaml });
  });
  afterAll(async () => {
    await t?.close();
    await host?.close();
    await storage?.close();
  });

  it("makes each vendor's recording a not-indexed public file whose URL, the call's recording link, plays the vendor's bytes after the vendor's link expired", async () => {
    const { rows, audio } = await deliverEveryVendor(t, host, storage, 'link');
    for (const vendor of VENDORS) {
      const row = rows[vendor];
      const call = callOf(t, row.call_key);
      const url = call.properties['hs_call_recording_url']!;
      expect(url, vendor).toBe(row.file_url);
      expect(url, vendor).toMatch(/^https:\/\/.*\.mp3$/);
      expect(call.properties['hs_attachment_ids'] ?? '', vendor).toBe('');
      expect(t.emulator.files().find((file) => file.id === row.file_id)?.access, vendor).toBe('PUBLIC_NOT_INDEXABLE');
      const played = await fetchHttps(url);
      expect(played.status, vendor).toBe(200);
      expect(sha256(played.body), vendor).toBe(sha256(audio[vendor]));
    }
  });

  it('writes the kept file again, never the expired vendor link, when a later event of the call arrives', async () => {
    const audio = fakeMp3(260_000);
    const link = host.serve('/retell/link-mode.mp3', audio);
    expect((await deliver.retell(t, 'call_link_later', link)).status).toBe(200);
    const row = await recordingOf(t, 'retell:call_link_later', 'stored');
    host.expire('/retell/link-mode.mp3');
    const call = callOf(t, 'retell:call_link_later');
    const url = call.properties['hs_call_recording_url']!;
    expect(url).toMatch(/^https:\/\/.*\.mp3$/);
    expect(url).toBe(row.file_url);
    expect(call.properties['hs_attachment_ids'] ?? '').toBe('');
    expect(t.emulator.files().find((file) => file.id === row.file_id)?.access).toBe('PUBLIC_NOT_INDEXABLE');
    const played = await fetchHttps(url);
    expect(played.status).toBe(200);
    expect(sha256(played.body)).toBe(sha256(audio));

    // A later event of the call (call_analyzed) writes the kept file again, never the vendor's expired link.
    const analyzed = fixture<{ call: Record<string, unknown> }>('retell', 'call-analyzed');
    analyzed.call['call_id'] = 'call_link_later';
    analyzed.call['recording_url'] = link;
    const text = JSON.stringify(analyzed);
    expect(
      (await postJson(`${t.url}/webhooks/retell`, text, { 'x-retell-signature': await retellSignature(text) })).status,
    ).toBe(200);
    await t.settled();
    expect(callOf(t, 'retell:call_link_later').properties['hs_call_recording_url']).toBe(url);
    expect(t.emulator.files().filter((file) => file.path.includes('retell-call_link_later'))).toHaveLength(1);
  });
});

describe('the spool folder', () => {
  it('removes downloads a killed process left behind, and keeps any that may still be in progress', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'recordings-spool-'));
    const host = await startRecordingHost();
    try {
      mkdirSync(spool, { recursive: true });
      const old = join(spool, 'recording-left-behind.part');
      const fresh = join(spool, 'recording-in-progress.part');
      const other = join(spool, 'not-ours.txt');
      for (const path of [old, fresh, other]) writeFileSync(path, 'x');
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(old, hourAgo, hourAgo);
      utimesSync(other, hourAgo, hourAgo);
      const t = await startTestApp({ env: { ...appEnv(host), RECORDINGS_SPOOL_DIR: spool } });
      try {
        await waitFor(() => !existsSync(old), 5_000);
        expect(existsSync(fresh)).toBe(true);
        expect(existsSync(other)).toBe(true);
      } finally {
        await t.close();
      }
    } finally {
      await host.close();
      rmSync(spool, { recursive: true, force: true });
    }
  });
});
