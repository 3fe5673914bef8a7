import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { fixture } from '../support/fixtures.js';
import { fakeMp3, startRecordingHost, type RecordingHost } from '../support/recording-host.js';
import { postJson, VOICEFOX_SECRET, waitFor } from '../support/test-app.js';

/**
 * The recordings stage through real crashes: a connector process killed (SIGKILL) between HubSpot's answer to the
 * upload and the call update, or before the upload's answer was recorded, and started again. Whatever the moment,
 * HubSpot ends with one file and the call with one attachment.
 */
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
const hosts: RecordingHost[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const host of hosts.splice(0)) await host.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setUp() {
  const emulator = await HubSpotEmulator.start();
  emulators.push(emulator);
  const host = await startRecordingHost();
  hosts.push(host);
  const dir = connectorDir();
  dirs.push(dir);
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    HUBSPOT_ACCESS_TOKEN: 'pat-reliability',
    HUBSPOT_BASE_URL: emulator.url,
    VOICEFOX_WEBHOOK_SECRET: VOICEFOX_SECRET,
    HUBSPOT_SEARCH_LAG_MS: '300',
    HUBSPOT_RETRY_BASE_MS: '50',
    HUBSPOT_PROBE_INTERVAL_MS: '200',
    HUBSPOT_REQUEST_TIMEOUT_MS: '60000',
    RECORDINGS_ENABLED: 'true',
    RECORDINGS_ALLOW_NETWORKS: '127.0.0.0/8',
    RECORDING_RETRY_BASE_MS: '200',
    LOG_LEVEL: 'info',
  };
  let current: ConnectorProcess | null = null;
  return {
    emulator,
    host,
    start: async () => {
      current = startConnectorProcess(dir, env);
      processes.push(current);
      return current.listening();
    },
    kill: async () => {
      current!.child.kill('SIGKILL');
      await current!.exit;
    },
  };
}

async function sendCall(url: string, sessionId: string, recordUrl: string): Promise<void> {
  const body = fixture<{ event_data: Record<string, unknown> }>('voicefox', 'callin-collect');
  body.event_data['session_id'] = sessionId;
  body.event_data['record_url'] = recordUrl;
  expect((await postJson(`${url}/webhooks/voicefox`, body, { authorization: VOICEFOX_SECRET })).status).toBe(200);
}

const callOf = (emulator: HubSpotEmulator, key: string) =>
  emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);

describe('recordings through crashes', () => {
  it(
    'SIGKILL between the upload and the call update: one file and one attachment after the restart',
    { timeout: 90_000 },
    async () => {
      const { emulator, host, start, kill } = await setUp();
      const url = await start();
      const link = host.serve('/crash/one.mp3', fakeMp3(400_000));
      // The call is created; then the recording's call update is held by HubSpot (never answered).
      await sendCall(url, 'vf-crash-rec-1', link);
      await waitFor(() => callOf(emulator, 'voicefox:vf-crash-rec-1').length === 1, 20_000);
      emulator.setFaults({ mode: 'hang', paths: '/calls/batch/update$' });
      await waitFor(() => emulator.files().length === 1, 20_000);
      // Past the upload: the process is killed while HubSpot holds the call update.
      await waitFor(() => emulator.hungRequestCount > 0, 10_000);
      await kill();
      emulator.clearFaults();
      expect(callOf(emulator, 'voicefox:vf-crash-rec-1')[0]!.properties['hs_attachment_ids'] ?? '').toBe('');

      await start();
      await waitFor(
        () => (callOf(emulator, 'voicefox:vf-crash-rec-1')[0]?.properties['hs_attachment_ids'] ?? '') !== '',
        30_000,
      );
      const files = emulator.files();
      expect(files).toHaveLength(1);
      expect(callOf(emulator, 'voicefox:vf-crash-rec-1')[0]!.properties['hs_attachment_ids']).toBe(files[0]!.id);
      // Neither uploaded nor fetched again: the file id was recorded before the call update.
      const uploads = emulator.requestLog.filter(
        (entry) => entry.method === 'POST' && /^\/files\/[^/]+\/files$/.test(entry.path),
      );
      expect(uploads).toHaveLength(1);
      expect(host.requests.filter((request) => request.path === '/crash/one.mp3')).toHaveLength(1);
    },
  );

  it(
    'SIGKILL after HubSpot stored the upload but before its answer was recorded: found by name, not uploaded twice',
    { timeout: 90_000 },
    async () => {
      const { emulator, host, start, kill } = await setUp();
      const url = await start();
      const link = host.serve('/crash/two.mp3', fakeMp3(300_000));
      await sendCall(url, 'vf-crash-rec-2', link);
      await waitFor(() => callOf(emulator, 'voicefox:vf-crash-rec-2').length === 1, 20_000);
      // HubSpot applies the upload and never answers it.
      emulator.setFaults({ mode: 'apply-then-hang', paths: '/files/[^/]+/files$' });
      await waitFor(() => emulator.files().length === 1, 20_000);
      await kill();
      emulator.clearFaults();

      await start();
      await waitFor(
        () => (callOf(emulator, 'voicefox:vf-crash-rec-2')[0]?.properties['hs_attachment_ids'] ?? '') !== '',
        30_000,
      );
      expect(emulator.files()).toHaveLength(1);
      expect(callOf(emulator, 'voicefox:vf-crash-rec-2')[0]!.properties['hs_attachment_ids']).toBe(
        emulator.files()[0]!.id,
      );
      // Found by its name: the upload was not sent a second time, and the audio not fetched again.
      const uploads = emulator.requestLog.filter(
        (entry) => entry.method === 'POST' && /^\/files\/[^/]+\/files$/.test(entry.path),
      );
      expect(uploads).toHaveLength(1);
      expect(emulator.requestLog.some((entry) => /^\/files\/[^/]+\/files\/search$/.test(entry.path))).toBe(true);
      expect(host.requests.filter((request) => request.path === '/crash/two.mp3')).toHaveLength(1);
    },
  );
});
