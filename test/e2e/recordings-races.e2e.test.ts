import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingRepository } from '../../src/store/recording.repository.js';
import { fixture } from '../support/fixtures.js';
import { fakeMp3, startRecordingHost, type RecordingHost } from '../support/recording-host.js';
import { postJson, REPO_DIR, startTestApp, VOICEFOX_SECRET, waitFor, type TestApp } from '../support/test-app.js';

/**
 * The call sync and the recordings stage write the same call: whichever order their writes land in, the call ends
 * pointing at the kept file, never at the vendor's expiring link; a call deleted in HubSpot and logged again gets its
 * kept file back.
 */
const ENV = {
  RECORDINGS_ENABLED: 'true',
  RECORDING_RETRY_BASE_MS: '300',
  RECORDING_TIMEOUT_MS: '5000',
  RECORDING_CONNECT_TIMEOUT_MS: '1000',
};
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const closable of open.splice(0).reverse()) await closable.close();
});

async function start(mappingYaml?: string): Promise<{ t: TestApp; host: RecordingHost }> {
  const host = await startRecordingHost();
  open.push(host);
  const t = await startTestApp({ env: ENV, ...(mappingYaml ? { mappingYaml } : {}) });
  open.push(t);
  return { t, host };
}

async function send(t: TestApp, sessionId: string, recordUrl: string, hangupReason: string) {
  const body = fixture<{ event_data: Record<string, unknown> }>('voicefox', 'callin-collect');
  body.event_data['session_id'] = sessionId;
  body.event_data['record_url'] = recordUrl;
  body.event_data['hangup_reason'] = hangupReason;
  return postJson(`${t.url}/webhooks/voicefox`, body, { authorization: VOICEFOX_SECRET });
}

const callsOf = (t: TestApp, key: string) =>
  t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);

describe('the call sync and the recordings stage on one call', () => {
  it("keeps the kept file's URL when a later event's write lands after the stage pointed the call at it (link)", async () => {
    const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
    const { t, host } = await start(shipped.replace(/^(\s+)mode: attach\b/m, '$1mode: link'));
    const key = 'voicefox:vf-race-1';
    // HubSpot slow on uploads and call creates only: the later event's write lands after the stage's call update.
    t.emulator.setFaults({ mode: 'latency', latencyMs: 2000, paths: '/files/[^/]+/files$|/calls/batch/create$' });
    expect((await send(t, 'vf-race-1', host.serve('/race/1.mp3', fakeMp3(100_000)), 'a')).status).toBe(200);
    await waitFor(() => callsOf(t, key).length === 1, 15_000);
    const recordings = t.app.get(RecordingRepository);
    await waitFor(async () => (await recordings.find(key))?.state === 'uploading', 10_000);
    // A later event of the call (the vendor's link), in one batch with a new call, whose create is slow.
    await Promise.all([
      send(t, 'vf-race-1', 'https://media.voicefox.example/records/vf-race-1.mp3', 'b'),
      send(t, 'vf-race-2', 'https://media.voicefox.example/records/vf-race-2.mp3', 'a'),
    ]);
    await waitFor(() => callsOf(t, 'voicefox:vf-race-2').length === 1, 15_000);
    await t.settled();
    await waitFor(async () => {
      const row = await recordings.find(key);
      return row?.state === 'stored' && callsOf(t, key)[0]!.properties['hs_call_recording_url'] === row.file_url;
    }, 15_000);
    const row = (await recordings.find(key))!;
    expect(row.file_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/hubfs\//);
    expect(t.emulator.files()).toHaveLength(1);
  });

  it('points a call deleted in HubSpot and logged again at its kept file (attach)', async () => {
    const { t, host } = await start();
    const key = 'voicefox:vf-gone-1';
    expect((await send(t, 'vf-gone-1', host.serve('/gone/1.mp3', fakeMp3(100_000)), 'a')).status).toBe(200);
    const recordings = t.app.get(RecordingRepository);
    await waitFor(async () => (await recordings.find(key))?.state === 'stored', 15_000);
    const first = callsOf(t, key)[0]!;
    const fileId = (await recordings.find(key))!.file_id!;
    expect(first.properties['hs_attachment_ids']).toBe(fileId);
    // A person deletes the call in HubSpot; a later event of the call arrives and logs it again.
    const deleted = await fetch(`${t.emulator.url}/crm/v3/objects/calls/${first.id}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer pat-test-0000-0000' },
    });
    expect(deleted.status).toBe(204);
    expect((await send(t, 'vf-gone-1', host.serve('/gone/1b.mp3', fakeMp3(100_000)), 'b')).status).toBe(200);
    await waitFor(() => callsOf(t, key).some((call) => call.id !== first.id), 15_000);
    await waitFor(
      () => callsOf(t, key).find((call) => call.id !== first.id)?.properties['hs_attachment_ids'] === fileId,
      15_000,
    );
    // The row ends stored again. The stage marks it once HubSpot has answered the call's update, so the call can show
    // the file a moment before the row says so: the row is waited for, not read at once.
    await waitFor(async () => (await recordings.find(key))?.state === 'stored', 15_000);
    expect(callsOf(t, key).find((call) => call.id !== first.id)?.properties['hs_attachment_ids']).toBe(fileId);
    // The same file: nothing uploaded again.
    expect(t.emulator.files()).toHaveLength(1);
  });
});
