import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { chinaMobile, e164Of, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { postJson, waitFor, YUNFU_SECRET } from '../support/test-app.js';

/**
 * Several instances on one PostgreSQL: every instance takes webhooks, exactly one syncs (the holder of the sync
 * lease), and when it dies another takes over within the lease time; a SIGTERM hands over at once. Real processes,
 * killed for real; loopback only; every wait bounded.
 */
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const database of databases.splice(0)) await database.drop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TTL_MS = 2_000;
const RENEW_MS = 500;

interface Instance {
  id: string;
  process: ConnectorProcess;
  url: string;
}

/** What an instance's /health/ready says of the sync lease. */
async function syncRole(instance: Instance): Promise<{ role: string; leader?: string; epoch?: number } | null> {
  try {
    const response = await fetch(`${instance.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { details?: { sync?: { role: string; leader?: string; epoch?: number } } };
    return body.details?.sync ?? null;
  } catch {
    return null;
  }
}

async function leaderOf(instances: Instance[]): Promise<Instance[]> {
  const roles = await Promise.all(instances.map(syncRole));
  return instances.filter((_, index) => roles[index]?.role === 'leader');
}

describe('several instances on one PostgreSQL', () => {
  it(
    'one syncs at a time; a SIGKILLed leader is replaced within the lease time and a SIGTERMed one at once; every call lands once',
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const emulator = await HubSpotEmulator.start();
      emulators.push(emulator);
      // A slow HubSpot, so that the kill lands while calls are being synced.
      emulator.setFaults({ mode: 'latency', latencyMs: 60 });
      const start = async (id: string): Promise<Instance> => {
        const dir = connectorDir(undefined, 'embedded');
        dirs.push(dir);
        const started = startConnectorProcess(dir, {
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: database.url,
          INSTANCE_ID: id,
          SYNC_LEASE_TTL_MS: String(TTL_MS),
          SYNC_LEASE_RENEW_MS: String(RENEW_MS),
          HUBSPOT_ACCESS_TOKEN: 'pat-failover',
          HUBSPOT_BASE_URL: emulator.url,
          YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
          WORKER_BATCH_SIZE: '20',
          SYNC_LINGER_MS: '20',
          HUBSPOT_SEARCH_LAG_MS: '300',
          HUBSPOT_RETRY_BASE_MS: '50',
          HUBSPOT_PROBE_INTERVAL_MS: '200',
          LOG_LEVEL: 'info',
        });
        processes.push(started);
        return { id, process: started, url: await started.listening() };
      };
      const instances = await Promise.all(['a', 'b', 'c'].map(start));
      await waitFor(async () => (await leaderOf(instances)).length === 1, 10_000);
      const [first] = await leaderOf(instances);
      // The standbys name the leader too.
      for (const other of instances.filter((instance) => instance !== first)) {
        expect(await syncRole(other)).toMatchObject({ role: 'standby', leader: first!.id });
      }

      // 300 calls on 60 numbers, posted across the three instances in turn.
      let next = 0;
      const post = async (targets: Instance[], calls: number): Promise<void> => {
        for (let sent = 0; sent < calls; sent += 10) {
          const batch = yunfuBatch(
            Array.from({ length: 10 }, () => {
              const index = next++;
              return yunfuCall({ callid: `failover-${index}`, number: chinaMobile(20_000 + (index % 60)) });
            }),
          );
          const target = targets[(sent / 10) % targets.length]!;
          const answer = await postJson(`${target.url}/webhooks/yunfu/${YUNFU_SECRET}`, batch);
          expect(answer.status).toBe(200);
        }
      };
      await post(instances, 300);
      await waitFor(() => emulator.listObjects('calls').length >= 40, 30_000);

      // SIGKILL the leader mid-sync: another instance takes over within the lease time.
      const killedAt = Date.now();
      first!.process.child.kill('SIGKILL');
      const survivors = instances.filter((instance) => instance !== first);
      await waitFor(async () => (await leaderOf(survivors)).length === 1, TTL_MS + RENEW_MS + 5_000);
      const afterKillMs = Date.now() - killedAt;
      const [second] = await leaderOf(survivors);
      const callsAtKill = emulator.listObjects('calls').length;

      await post(survivors, 100);
      // SIGTERM the new leader: the last one takes over at once (the lease is released, not left to run out).
      await waitFor(() => emulator.listObjects('calls').length >= callsAtKill + 20, 30_000);
      const stoppedAt = Date.now();
      second!.process.child.kill('SIGTERM');
      const last = survivors.filter((instance) => instance !== second);
      await waitFor(async () => (await leaderOf(last)).length === 1, TTL_MS + RENEW_MS + 5_000);
      const afterTermMs = Date.now() - stoppedAt;
      // It stopped as asked (Nest re-raises the signal once the application is closed).
      const exit = await second!.process.exit;
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);

      emulator.clearFaults();
      await waitFor(() => emulator.listObjects('calls').length >= 400, 60_000);
      // A moment more: nothing else may arrive.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const calls = emulator.listObjects('calls');
      const keys = calls.map((call) => call.properties['ai_call_key']);
      const contacts = emulator.listObjects('contacts');
      const numbers = contacts.map((contact) => contact.properties['ai_call_phone_e164']);
      process.stdout.write(
        `[failover] 3 instances, 400 calls on 60 numbers: leader ${first!.id} SIGKILLed with ${callsAtKill} calls in HubSpot, ` +
          `${second!.id} leading ${afterKillMs} ms later (lease ${TTL_MS} ms); ${second!.id} SIGTERMed, ${last[0]!.id} leading ${afterTermMs} ms later; ` +
          `${calls.length} calls (${new Set(keys).size} distinct keys), ${contacts.length} contacts (${new Set(numbers).size} distinct numbers)\n`,
      );
      expect(calls).toHaveLength(400);
      expect(new Set(keys).size).toBe(400);
      expect(contacts).toHaveLength(60);
      expect(new Set(numbers)).toEqual(
        new Set(Array.from({ length: 60 }, (_, index) => e164Of(chinaMobile(20_000 + index)))),
      );
      expect(afterKillMs).toBeLessThanOrEqual(TTL_MS + RENEW_MS + 1_500);
      // The lease was released on SIGTERM: the next instance needs at most one renewal period, not the lease time.
      expect(afterTermMs).toBeLessThan(TTL_MS);
    },
  );
});
