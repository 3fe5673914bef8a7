import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, syncFixture, type SyncFixture } from '../../test/support/sync-fixture.js';
import { RecordingRepository } from './recording.repository.js';

/** The recordings' states as the stage and the call sync move them (SQLite here; PostgreSQL under TEST_STORE=postgres). */
let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

const source = JSON.stringify({ kind: 'url', url: 'https://media.example/a.mp3' });
const entry = { callKey: 'voicefox:r-1', vendor: 'voicefox', vendorCallId: 'r-1', source };

async function storedRecording(fixture: SyncFixture): Promise<RecordingRepository> {
  const recordings = new RecordingRepository(fixture.db);
  const now = fixture.clock.now();
  await fixture.ledger.saveCalls([{ key: entry.callKey, callId: '501', contactId: null, record: {} }], now, [entry]);
  const [claimed] = await recordings.claimDue(10, now, 60_000);
  expect(claimed).toMatchObject({ call_key: entry.callKey, call_id: '501', state: 'pending' });
  await recordings.markUploading(
    entry.callKey,
    { name: 'voicefox-r-1', folder: '/ai-calls/2026-11', mode: 'attach', bytes: 10 },
    now,
  );
  await recordings.markUploaded(entry.callKey, { id: 'f-1', url: null, bytes: 10, sha256: 'x' }, now);
  await recordings.markStored(claimed!, 'attach', now);
  return recordings;
}

describe('RecordingRepository', () => {
  it('sends a stored recording back to its call update when a call write did not know it was stored', async () => {
    f = await syncFixture();
    const recordings = await storedRecording(f);
    await f.ledger.saveCalls([{ key: entry.callKey, callId: '501', contactId: null, record: {} }], f.clock.now(), [
      entry,
    ]);
    expect(await recordings.find(entry.callKey)).toMatchObject({ state: 'uploaded', file_id: 'f-1', mode: 'attach' });
  });

  it('points a call logged again after its deletion at the kept file, a dead recording included', async () => {
    f = await syncFixture();
    const recordings = await storedRecording(f);
    await f.ledger.forgetCalls([entry.callKey]);
    expect(await recordings.find(entry.callKey)).toMatchObject({ state: 'uploaded', file_id: 'f-1', attempts: 0 });
    // Not claimable until the call is in HubSpot again.
    expect(await recordings.claimDue(10, f.clock.now(), 60_000)).toEqual([]);
  });

  it('never turns a stored recording dead', async () => {
    f = await syncFixture();
    const recordings = await storedRecording(f);
    await recordings.markDead(entry.callKey, 'late failure', f.clock.now());
    expect((await recordings.find(entry.callKey))?.state).toBe('stored');
  });

  it('prunes webhook audio received before the retention cut-off', async () => {
    f = await syncFixture();
    const recordings = new RecordingRepository(f.db);
    const now = f.clock.now();
    const audio = { vendor: 'elevenlabs', audio: Buffer.from('ID3 audio'), contentType: 'audio/mpeg', sha256: 'y' };
    await recordings.saveAudio({ ...audio, vendorCallId: 'old' }, new Date(now.getTime() - 40 * 86_400_000));
    await recordings.saveAudio({ ...audio, vendorCallId: 'new' }, now);
    expect(await recordings.pruneAudio(new Date(now.getTime() - 30 * 86_400_000))).toBe(1);
    expect(await recordings.audio('elevenlabs', 'old')).toBeNull();
    expect((await recordings.audio('elevenlabs', 'new'))?.audio.toString()).toBe('ID3 audio');
  });
});
