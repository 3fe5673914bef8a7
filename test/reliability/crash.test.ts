import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, VOICEFOX_SECRET, waitFor, YUNFU_SECRET } from '../support/test-app.js';

/**
 * Real connector processes, killed for real, against an emulator that outlives them. Each test prints its figures.
 */
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function setUp(): Promise<{
  emulator: HubSpotEmulator;
  dir: string;
  start: () => Promise<string>;
  current: () => ConnectorProcess;
}> {
  const emulator = await HubSpotEmulator.start();
  emulators.push(emulator);
  const dir = connectorDir();
  dirs.push(dir);
  let current: ConnectorProcess | null = null;
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    HUBSPOT_ACCESS_TOKEN: 'pat-reliability',
    HUBSPOT_BASE_URL: emulator.url,
    VOICEFOX_WEBHOOK_SECRET: VOICEFOX_SECRET,
    YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
    WORKER_BATCH_SIZE: '50',
    SYNC_LINGER_MS: '50',
    // A create whose answer was lost is looked up by its key; search has no lag in this emulator.
    HUBSPOT_SEARCH_LAG_MS: '300',
    HUBSPOT_RETRY_BASE_MS: '50',
    HUBSPOT_PROBE_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
  };
  return {
    emulator,
    dir,
    start: async () => {
      current = startConnectorProcess(dir, env);
      processes.push(current);
      return current.listening();
    },
    current: () => current!,
  };
}

const callKeys = (emulator: HubSpotEmulator): string[] =>
  emulator.listObjects('calls').map((call) => call.properties['ai_call_key']!);

describe('crashes', () => {
  it(
    'SIGKILL mid-sync: after a restart HubSpot holds exactly 500 calls and one contact per number',
    { timeout: 120_000 },
    async () => {
      const { emulator, start, current } = await setUp();
      const url = await start();
      const calls = Array.from({ length: 500 }, (_, index) =>
        yunfuCall({ callid: `crash-sync-${index}`, number: chinaMobile(index % 300) }),
      );
      // Slow HubSpot down so that the kill lands while sync is under way.
      emulator.setFaults({ mode: 'latency', latencyMs: 150 });
      for (let index = 0; index < calls.length; index += 10) {
        expect(
          (await postJson(`${url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(calls.slice(index, index + 10)))).status,
        ).toBe(200);
      }
      await waitFor(() => emulator.listObjects('calls').length > 0, 60_000);
      current().child.kill('SIGKILL');
      const killed = await current().exit;
      const atKill = emulator.listObjects('calls').length;
      expect(killed.signal).toBe('SIGKILL');
      expect(atKill).toBeLessThan(500);

      emulator.clearFaults();
      const restarted = Date.now();
      await start();
      await waitFor(() => emulator.listObjects('calls').length >= 500, 90_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // nothing more may arrive
      const keys = callKeys(emulator);
      process.stdout.write(
        `[reliability] crash mid-sync: ${atKill} calls in HubSpot at SIGKILL; after restart ${keys.length} calls, ${new Set(keys).size} distinct, ${emulator.listObjects('contacts').length} contacts, finished ${((Date.now() - restarted) / 1000).toFixed(1)} s after restart\n`,
      );
      expect(keys).toHaveLength(500);
      expect(new Set(keys).size).toBe(500);
      expect(emulator.listObjects('contacts')).toHaveLength(300);
    },
  );

  it(
    'SIGKILL mid-ingest: every webhook that got a 2xx lands once; the ones that got no answer land once when resent',
    { timeout: 120_000 },
    async () => {
      const { emulator, start, current } = await setUp();
      let url = await start();
      const sessions = Array.from({ length: 300 }, (_, index) => `vf-crash-ingest-${index}`);
      const acked = new Set<string>();
      const unanswered = new Set<string>();
      let next = 0;
      const sender = async (): Promise<void> => {
        while (next < sessions.length) {
          const session = sessions[next++]!;
          if (acked.size >= 100 && current().child.exitCode === null) current().child.kill('SIGKILL');
          try {
            const response = await postJson(
              `${url}/webhooks/voicefox`,
              voicefoxEvent('callin-collect', session, chinaMobile(1000 + (next % 50))),
              { authorization: `Bearer ${VOICEFOX_SECRET}` },
            );
            if (response.status === 200) acked.add(session);
            else unanswered.add(session);
          } catch {
            unanswered.add(session);
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, sender));
      await current().exit;
      expect(acked.size).toBeGreaterThanOrEqual(100);
      expect(unanswered.size).toBeGreaterThan(0);

      url = await start();
      // The vendor retries what got no answer (and, to be thorough, some of what did).
      for (const session of [...unanswered, ...[...acked].slice(0, 20)]) {
        const response = await postJson(
          `${url}/webhooks/voicefox`,
          voicefoxEvent('callin-collect', session, chinaMobile(1000 + (sessions.indexOf(session) % 50))),
          { authorization: `Bearer ${VOICEFOX_SECRET}` },
        );
        expect(response.status).toBe(200);
      }
      await waitFor(() => emulator.listObjects('calls').length >= 300, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const keys = callKeys(emulator);
      process.stdout.write(
        `[reliability] crash mid-ingest: ${acked.size} acknowledged before SIGKILL, ${unanswered.size} unanswered and resent; HubSpot holds ${keys.length} calls, ${new Set(keys).size} distinct\n`,
      );
      for (const session of acked) expect(keys).toContain(`voicefox:${session}`);
      expect(keys).toHaveLength(300);
      expect(new Set(keys).size).toBe(300);
    },
  );

  it(
    'SIGTERM: stops taking webhooks, finishes or hands back the batch in flight, closes the store, exits 0; nothing lost',
    { timeout: 120_000 },
    async () => {
      const { emulator, start, current } = await setUp();
      const url = await start();
      emulator.setFaults({ mode: 'latency', latencyMs: 150 });
      const calls = Array.from({ length: 200 }, (_, index) =>
        yunfuCall({ callid: `term-${index}`, number: chinaMobile(2000 + index) }),
      );
      for (let index = 0; index < calls.length; index += 20)
        await postJson(`${url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(calls.slice(index, index + 20)));
      await waitFor(() => emulator.listObjects('calls').length > 0, 60_000);
      const stopping = Date.now();
      current().child.kill('SIGTERM');
      const exited = await current().exit;
      const stoppedIn = Date.now() - stopping;
      await expect(
        postJson(
          `${url}/webhooks/yunfu/${YUNFU_SECRET}`,
          yunfuBatch([yunfuCall({ callid: 'late', number: chinaMobile(1) })]),
        ),
      ).rejects.toThrow();
      expect(exited.code === 0 || exited.signal === 'SIGTERM').toBe(true);
      expect(current().output()).not.toMatch(/"level":"(error|fatal)"/);

      emulator.clearFaults();
      await start();
      await waitFor(() => emulator.listObjects('calls').length >= 200, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const keys = callKeys(emulator);
      process.stdout.write(
        `[reliability] SIGTERM mid-sync: stopped in ${stoppedIn} ms; after restart ${keys.length} calls, ${new Set(keys).size} distinct\n`,
      );
      expect(new Set(keys).size).toBe(200);
      expect(keys).toHaveLength(200);
    },
  );
});
