import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedStore } from '../../src/store/migrations/migrations.js';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { chinaMobile, e164Of, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { createTestDatabase, POSTGRES_RUN, type TestDatabase } from '../support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor, YUNFU_SECRET } from '../support/test-app.js';

/**
 * Several instances on one PostgreSQL: every instance takes webhooks, exactly one syncs (the holder of the sync
 * lease), and the others take over when it dies (SIGKILL), freezes (SIGSTOP past the lease), loses the database (a
 * TCP proxy between it and PostgreSQL stops forwarding) or stops (SIGTERM). Real processes, really killed, frozen
 * and cut off; loopback only; every wait bounded. Runs in the PostgreSQL pass of the suite (`npm run test:postgres`).
 */
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
const databases: TestDatabase[] = [];
const proxies: TcpProxy[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) continue;
    started.child.kill('SIGCONT');
    started.child.kill('SIGKILL');
  }
  for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const database of databases.splice(0)) await database.drop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TTL_MS = 3_000;
const RENEW_MS = 1_000;
const CALLS = 3_000;
const NUMBERS = 300;
const PER_POST = 10;

interface Instance {
  id: string;
  process: ConnectorProcess;
  url: string;
  proxy: TcpProxy;
  /** Not killed, frozen or stopped: the poster may send to it (a cut-off one answers 503 or not at all). */
  live: boolean;
}

/** What an instance's /health/ready says of the sync lease (null when it does not answer within a second). */
async function syncRole(instance: Instance): Promise<{ role: string; leader?: string; epoch?: number } | null> {
  try {
    const response = await fetch(`${instance.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { details?: { sync?: { role: string; leader?: string; epoch?: number } } };
    return body.details?.sync ?? null;
  } catch {
    return null;
  }
}

/** A small seeded generator, so that a failing run can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe.skipIf(!POSTGRES_RUN)('several instances on one PostgreSQL', () => {
  it(
    'one syncs at a time; SIGKILL, SIGSTOP past the lease, a cut from the database and SIGTERM each hand over within the lease time; 3,000 calls land once; no instance sends to HubSpot after losing the lease',
    { timeout: 300_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      // Migrate first, then record every change of lease holder exactly, by a trigger (the test's own table).
      await (await openMigratedStore(database.settings(1))).destroy();
      const watcher = new pg.Client({ connectionString: database.url });
      clients.push(watcher);
      await watcher.connect();
      await watcher.query(`
        create table lease_history (
          epoch integer primary key, holder text not null, acquired_at timestamptz not null, released_at timestamptz
        );
        create function record_lease() returns trigger language plpgsql as $$
        begin
          if tg_op = 'INSERT' or new.epoch <> old.epoch then
            insert into lease_history values (new.epoch, new.holder, new.acquired_at, null);
          elsif new.expires_at < old.expires_at then
            -- Ended early by its holder: a release (a renewal only moves the end later).
            update lease_history set released_at = new.expires_at where epoch = new.epoch;
          end if;
          return new;
        end $$;
        create trigger lease_change after insert or update on sync_leases for each row execute function record_lease();
      `);
      const history = async () =>
        (
          await watcher.query<{ epoch: number; holder: string; acquired_at: Date; released_at: Date | null }>(
            'select epoch, holder, acquired_at, released_at from lease_history order by epoch',
          )
        ).rows.map((row) => ({
          epoch: row.epoch,
          holder: row.holder,
          at: row.acquired_at.getTime(),
          released: row.released_at !== null,
        }));

      const emulator = await HubSpotEmulator.start({ requestLogCapacity: 200_000 });
      emulators.push(emulator);
      // A slow HubSpot, so that each fault lands while calls are being synced.
      emulator.setFaults({ mode: 'latency', latencyMs: 40 });
      const target = new URL(database.url);

      const start = async (id: string): Promise<Instance> => {
        const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
        proxies.push(proxy);
        const viaProxy = new URL(database.url);
        viaProxy.port = String(proxy.port);
        const dir = connectorDir(undefined, 'embedded');
        dirs.push(dir);
        const started = startConnectorProcess(dir, {
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: viaProxy.toString(),
          INSTANCE_ID: id,
          SYNC_LEASE_TTL_MS: String(TTL_MS),
          SYNC_LEASE_RENEW_MS: String(RENEW_MS),
          HUBSPOT_ACCESS_TOKEN: 'pat-failover',
          HUBSPOT_BASE_URL: emulator.url,
          HUBSPOT_REQUEST_TIMEOUT_MS: '2000',
          YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
          WORKER_BATCH_SIZE: '50',
          SYNC_LINGER_MS: '20',
          HUBSPOT_SEARCH_LAG_MS: '300',
          HUBSPOT_RETRY_BASE_MS: '50',
          HUBSPOT_PROBE_INTERVAL_MS: '200',
          LOG_LEVEL: 'info',
        });
        processes.push(started);
        return { id, process: started, url: await started.listening(), proxy, live: true };
      };
      const instances = await Promise.all(['a', 'b', 'c'].map(start));
      const leaders = async (): Promise<Instance[]> => {
        const roles = await Promise.all(instances.map(syncRole));
        return instances.filter((_, index) => roles[index]?.role === 'leader');
      };
      await waitFor(async () => (await leaders()).length === 1, 15_000);
      const [first] = await leaders();
      for (const other of instances.filter((instance) => instance !== first)) {
        expect(await syncRole(other)).toMatchObject({ role: 'standby', leader: first!.id });
        // A standby does not talk to HubSpot, and its health says so rather than "starting" for ever.
        await waitFor(async () => {
          const ready = (await (await fetch(`${other.url}/health/ready`)).json()) as {
            details?: { hubspot?: { state?: string } };
          };
          return ready.details?.hubspot?.state === 'standby';
        }, 5_000);
      }

      // The vendor: 3,000 calls on 300 numbers, 10 per webhook, each webhook to a random live instance; one that is
      // not answered with a 200 within 2 s is sent again to another (as vendors retry).
      const pick = random(12);
      const acknowledged = new Set<string>();
      let retries = 0;
      const poster = (async () => {
        for (let sent = 0; sent < CALLS; sent += PER_POST) {
          const calls = Array.from({ length: PER_POST }, (_, offset) => {
            const index = sent + offset;
            return yunfuCall({ callid: `failover-${index}`, number: chinaMobile(30_000 + (index % NUMBERS)) });
          });
          const body = JSON.stringify(yunfuBatch(calls));
          for (let attempt = 1; ; attempt++) {
            const live = instances.filter((instance) => instance.live);
            const to = live[Math.floor(pick() * live.length)]!;
            const status = await fetch(`${to.url}/webhooks/yunfu/${YUNFU_SECRET}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
              signal: AbortSignal.timeout(2_000),
            }).then(
              (response) => response.status,
              () => 0,
            );
            if (status === 200) break;
            retries++;
            if (attempt >= 20) throw new Error(`a webhook was refused 20 times (last: ${status})`);
          }
          for (const call of calls) acknowledged.add(String((call as { callid: string }).callid));
          await new Promise((resolve) => setTimeout(resolve, 60));
        }
      })();

      const inHubSpot = () => emulator.listObjects('calls').length;
      const takeovers: Array<{ fault: string; from: string; to: string; ms: number; epoch: number }> = [];
      /** Applies a fault to the leader and waits for the lease to pass to another instance; answers the new leader. */
      const failOver = async (fault: string, leader: Instance, apply: () => void): Promise<Instance> => {
        const before = (await history()).at(-1)!;
        expect(before.holder).toBe(leader.id);
        const at = Date.now();
        apply();
        await waitFor(async () => ((await history()).at(-1)?.epoch ?? 0) > before.epoch, TTL_MS + 10_000).catch(
          async (error: unknown) => {
            const roles = await Promise.all(instances.map(syncRole));
            process.stdout.write(
              `[failover] no takeover after ${fault}: ${JSON.stringify(await history())} ${JSON.stringify(roles)}\n` +
                instances
                  .map((instance) => `--- ${instance.id}\n${instance.process.output().slice(-3_000)}`)
                  .join('\n'),
            );
            throw error;
          },
        );
        const next = (await history()).at(-1)!;
        takeovers.push({ fault, from: leader.id, to: next.holder, ms: next.at - at, epoch: before.epoch });
        expect(next.holder).not.toBe(leader.id);
        const instance = instances.find((candidate) => candidate.id === next.holder)!;
        await waitFor(async () => (await syncRole(instance))?.role === 'leader', 5_000);
        return instance;
      };
      const progress = async (calls: number) => {
        const target = inHubSpot() + calls;
        await waitFor(() => inHubSpot() >= target, 60_000);
      };

      // 1. SIGKILL the leader mid-sync; an orchestrator starts it again (same name), as a standby.
      await progress(300);
      const second = await failOver('SIGKILL', first!, () => first!.process.child.kill('SIGKILL'));
      first!.live = false;
      const restarted = await start(first!.id);
      instances[instances.indexOf(first!)] = restarted;

      // 2. SIGSTOP the leader past its lease; once another leads, it resumes (and must neither send nor write).
      await progress(300);
      second.live = false;
      const third = await failOver('SIGSTOP', second, () => second.process.child.kill('SIGSTOP'));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      second.process.child.kill('SIGCONT');
      second.live = true;

      // 3. Cut the leader off the database (its proxy black-holes every connection), then heal the partition.
      await progress(300);
      const fourth = await failOver('database cut', third, () => third.proxy.cut());
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      third.proxy.heal();

      // 4. SIGTERM the leader: it hands the lease over at once.
      await progress(300);
      fourth.live = false;
      const fifth = await failOver('SIGTERM', fourth, () => fourth.process.child.kill('SIGTERM'));
      const exit = await fourth.process.exit;
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);

      await poster;
      emulator.clearFaults();
      await waitFor(() => inHubSpot() >= CALLS, 120_000);
      // A moment more: nothing else may arrive.
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      const calls = emulator.listObjects('calls');
      const keys = calls.map((call) => call.properties['ai_call_key']);
      const contacts = emulator.listObjects('contacts');
      const numbers = contacts.map((contact) => contact.properties['ai_call_phone_e164']);

      // No HubSpot request from an instance that did not hold the lease when HubSpot received it: each request names
      // its sender's epoch, and arrived after that epoch began and before the next one did.
      const epochs = await history();
      const began = new Map(epochs.map((entry) => [entry.epoch, entry]));
      const requests = emulator.requestLog.filter((entry) => !entry.path.startsWith('/_emulator'));
      const late = requests.filter((entry) => {
        const epoch = entry.sender?.epoch;
        if (epoch === undefined || epoch === null) return true;
        const own = began.get(epoch);
        const next = began.get(epoch + 1);
        if (!own || own.holder !== entry.sender?.instance || entry.time < own.at) return true;
        return next !== undefined && entry.time >= next.at;
      });
      const byInstance: Record<string, number> = {};
      for (const entry of requests)
        byInstance[entry.sender?.instance ?? 'unnamed'] = (byInstance[entry.sender?.instance ?? 'unnamed'] ?? 0) + 1;

      process.stdout.write(
        `[failover] 3 instances on one PostgreSQL, ${CALLS} calls on ${NUMBERS} numbers posted at random (${retries} webhooks sent again), lease ${TTL_MS} ms, renewed every ${RENEW_MS} ms: ` +
          takeovers.map((step) => `${step.fault} ${step.from}→${step.to} in ${step.ms} ms`).join(', ') +
          `; epochs ${epochs.map((entry) => `${entry.epoch}:${entry.holder}`).join(' ')}; ${requests.length} HubSpot requests ${JSON.stringify(byInstance)}, ${late.length} outside the sender's lease; ` +
          `${calls.length} calls (${new Set(keys).size} distinct keys), ${contacts.length} contacts (${new Set(numbers).size} distinct numbers); last leader ${fifth.id}\n`,
      );
      expect(acknowledged.size).toBe(CALLS);
      expect(calls).toHaveLength(CALLS);
      expect(new Set(keys)).toEqual(new Set(Array.from({ length: CALLS }, (_, index) => `yunfu:failover-${index}`)));
      expect(contacts).toHaveLength(NUMBERS);
      expect(new Set(numbers)).toEqual(
        new Set(Array.from({ length: NUMBERS }, (_, index) => e164Of(chinaMobile(30_000 + index)))),
      );
      expect(late).toEqual([]);
      // Within the lease time (plus a little for a loaded machine): a lease that ran out, taken the moment it did.
      for (const step of takeovers) expect(step.ms, step.fault).toBeLessThanOrEqual(TTL_MS + 1_000);
      // The SIGTERMed leader released its lease (handed over at once); the killed, frozen and cut ones let it run out.
      const released = (epoch: number) => epochs.find((entry) => entry.epoch === epoch)?.released;
      expect(takeovers.map((step) => [step.fault, released(step.epoch)])).toEqual([
        ['SIGKILL', false],
        ['SIGSTOP', false],
        ['database cut', false],
        ['SIGTERM', true],
      ]);
      // The resumed and the reconnected instances are still running, as standbys or leader; only the stopped one left.
      const running = instances.filter((instance) => instance !== fourth);
      for (const instance of running) {
        expect(instance.process.child.exitCode, instance.id).toBeNull();
        expect(instance.process.child.signalCode, instance.id).toBeNull();
      }
      const roles = await Promise.all(running.map(syncRole));
      expect(roles.map((role) => role?.role).sort()).toEqual(['leader', 'standby']);
    },
  );
});
