import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '../../src/common/clock.js';
import { ConnectorConfig } from '../../src/config/connector-config.service.js';
import { parseConnectorSettings } from '../../src/config/mapping/mapping-file.js';
import type { ConnectorSettings } from '../../src/config/mapping/mapping-settings.js';
import { validateEnv, type AppEnv } from '../../src/config/env.schema.js';
import { HubSpotProvisioner } from '../../src/sync/hubspot-provisioner.js';
import { HubSpotStatus } from '../../src/hubspot/hubspot-status.js';
import { AppLogger, createPinoLogger } from '../../src/logging/app-logger.js';
import { connectorPropertyNames, type ConnectorPropertyNames } from '../../src/mapping/connector-properties.js';
import { openSqliteStore, openStore, type StoreDb } from '../../src/store/database.js';
import { LeaseRepository } from '../../src/store/lease.repository.js';
import { SyncFence } from '../../src/store/sync-fence.js';
import { SyncLeader } from '../../src/sync/sync-leader.service.js';
import { createTestDatabase, POSTGRES_RUN } from './postgres.js';
import { InboxRepository } from '../../src/store/inbox.repository.js';
import { InboxSignal } from '../../src/store/inbox-signal.js';
import { RecordingRepository } from '../../src/store/recording.repository.js';
import { LedgerRepository } from '../../src/store/ledger.repository.js';
import { migrateToLatest } from '../../src/store/migrations/migrations.js';
import { ContactResolver } from '../../src/sync/contact-resolver.js';
import { HubSpotSyncService } from '../../src/sync/hubspot-sync.service.js';
import type { SyncItem } from '../../src/sync/sync-plan.js';
import { InboxWorker } from '../../src/sync/inbox-worker.service.js';
import { InboxPruner } from '../../src/sync/inbox-pruner.service.js';
import type { CallRecord } from '../../src/vendors/call-record.js';
import { VendorsInForce } from '../../src/config/vendors-in-force.js';
import { CALL_WRITE_METHODS, CONTACT_METHODS, FakeHubSpotPort, PROVISIONING_METHODS } from './fake-hubspot-port.js';

/**
 * The sync's services wired for unit tests, in one place (their constructors change; only this file follows them):
 * the strict HubSpot fake, a real store on in-memory SQLite, the ledgers, the provisioner, contact resolution, the
 * sync service and the inbox worker, all on one fixed clock. No HTTP, no emulator.
 */

const REPO_DIR = join(import.meta.dirname, '..', '..');
export const SHIPPED_MAPPING = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');

/** A clock that moves only when a test moves it. */
export class FixedClock implements Clock {
  private at: number;

  constructor(start: Date | string = '2026-03-02T08:00:00.000Z') {
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }

  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }
}

export interface SyncFixtureOptions {
  /** Replaces config/mapping.yaml (the shipped one by default). */
  mappingYaml?: string;
  /** Environment on top of the unit-test defaults (see `UNIT_ENV`). */
  env?: Record<string, string>;
  start?: Date | string;
}

/** Short pauses: the worker's probes and polls take milliseconds in unit tests. */
const UNIT_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  HUBSPOT_ACCESS_TOKEN: 'pat-unit-test',
  DATABASE_URL: 'sqlite::memory:',
  HUBSPOT_SEARCH_LAG_MS: '60000',
  HUBSPOT_PROBE_INTERVAL_MS: '10',
  WORKER_POLL_INTERVAL_MS: '10',
  SYNC_LINGER_MS: '0',
  SYNC_RETRY_BASE_MS: '1000',
  SYNC_MAX_ATTEMPTS: '4',
};

export interface SyncFixture {
  fake: FakeHubSpotPort;
  clock: FixedClock;
  env: AppEnv;
  settings: ConnectorSettings;
  names: ConnectorPropertyNames;
  db: StoreDb;
  inbox: InboxRepository;
  ledger: LedgerRepository;
  logger: AppLogger;
  provisioner: HubSpotProvisioner;
  /** A contact resolver of its own (the sync service holds another, inside). */
  contacts: ContactResolver;
  sync: HubSpotSyncService;
  status: HubSpotStatus;
  worker: InboxWorker;
  /** The sync lease's holder-to-be: not started (`start()` takes the lease). */
  leader: SyncLeader;
  /** Retention: not scheduled (`onApplicationBootstrap()` schedules its passes); `pruneOnce()` runs one now. */
  pruner: InboxPruner;
  vendors: VendorsInForce;
  leases: LeaseRepository;
  fence: SyncFence;
  /** Provisions the portal as a running connector has by the time a test's call arrives, then forgets those calls. */
  provision(): Promise<void>;
  /** The vendor's call records for a delivery (through its webhook splitter and mapper), as the worker maps them. */
  records(vendor: 'voicefox' | 'yunfu', body: unknown): CallRecord[];
  /** Sync items for a delivery; refs count up across the fixture's life unless given. */
  items(vendor: 'voicefox' | 'yunfu', body: unknown, receivedAt?: string): SyncItem[];
  /** Stores a delivery in the inbox, as the webhook controller does; answers the new events' ids. */
  receive(vendor: 'voicefox' | 'yunfu', body: unknown): Promise<number[]>;
  close(): Promise<void>;
}

export async function syncFixture(options: SyncFixtureOptions = {}): Promise<SyncFixture> {
  const clock = new FixedClock(options.start);
  const env = validateEnv({ ...UNIT_ENV, ...options.env });
  const mappingText = options.mappingYaml ?? SHIPPED_MAPPING;
  const settings = parseConnectorSettings(mappingText, 'mapping.yaml');
  const names = connectorPropertyNames(settings);
  const logger = new AppLogger(
    createPinoLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })),
  );
  // In memory on SQLite; under TEST_STORE=postgres a fresh database, so that the unit tier runs on both dialects too.
  const database = POSTGRES_RUN ? await createTestDatabase() : null;
  const db = database ? openStore(database.settings(2)) : openSqliteStore(':memory:');
  await migrateToLatest(db);
  // The sync path's writes are fenced as in the application (unfenced until the worker holds a lease's epoch).
  const fence = new SyncFence(clock);
  const inbox = new InboxRepository(db, fence);
  const ledger = new LedgerRepository(db, fence);
  // The sync's usual requests; a test allows anything else (the call lookup, probes) on purpose.
  const fake = new FakeHubSpotPort().allow(...PROVISIONING_METHODS, ...CONTACT_METHODS, ...CALL_WRITE_METHODS);
  const now = () => clock.now();
  const provisioner = new HubSpotProvisioner(fake, logger);
  const sync = new HubSpotSyncService(
    fake,
    provisioner,
    ledger,
    new RecordingRepository(db, fence),
    { searchLagMs: env.hubspot.searchLagMs },
    logger,
    clock,
  );
  const contacts = new ContactResolver(fake, ledger, logger, now);
  const config = new ConnectorConfig({ text: mappingText, settings }, env, logger);
  const vendors = new VendorsInForce(config, clock);
  const status = new HubSpotStatus();
  const leases = new LeaseRepository(db);
  const leader = new SyncLeader(leases, env, logger, clock);
  const worker = new InboxWorker(
    inbox,
    vendors,
    new InboxSignal(),
    sync,
    config,
    status,
    logger,
    fake,
    env,
    clock,
    leader,
    fence,
  );
  const pruner = new InboxPruner(inbox, leader, logger, env, clock);

  let nextRef = 1;
  const split = (vendor: 'voicefox' | 'yunfu', body: unknown) => vendors.find(vendor)!.webhook.split(body);
  const records = (vendor: 'voicefox' | 'yunfu', body: unknown): CallRecord[] => {
    const found = vendors.find(vendor)!;
    return split(vendor, body).flatMap((item) => {
      const result = found.mapper.map({ eventName: item.eventName, payload: item.payload }, found.mappingContext);
      return result.kind === 'records' ? result.records : [];
    });
  };
  return {
    leader,
    leases,
    fence,
    fake,
    clock,
    env,
    settings,
    names,
    db,
    inbox,
    ledger,
    logger,
    provisioner,
    contacts,
    sync,
    status,
    worker,
    pruner,
    vendors,
    async provision() {
      await provisioner.ensureReady(settings, clock.now().getTime());
      fake.clearCalls();
    },
    records,
    items(vendor, body, receivedAt = clock.now().toISOString()) {
      return records(vendor, body).map((record) => ({ ref: nextRef++, record, receivedAt }));
    },
    async receive(vendor, body) {
      const before = new Set((await inbox.list()).map((row) => row.id));
      await inbox.storeDelivery(vendor, split(vendor, body), `corr-${vendor}`, clock.now());
      return (await inbox.list()).map((row) => row.id).filter((id) => !before.has(id));
    },
    async close() {
      await pruner.onApplicationShutdown();
      await worker.beforeApplicationShutdown();
      await db.destroy();
      await database?.drop();
    },
  };
}

/** Closes a spec's fixture after checking it saw no HubSpot call the spec did not allow (the sync catches what the port throws). */
export async function closeChecked(fixture: SyncFixture | null): Promise<void> {
  if (!fixture) return;
  try {
    fixture.fake.assertNoUnexpectedCalls();
  } finally {
    await fixture.close();
  }
}
