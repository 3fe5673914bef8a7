import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.factory.js';
import { createTestDatabase, POSTGRES_RUN } from './postgres.js';
import { AppLogger, createPinoLogger } from '../../src/logging/app-logger.js';
import { InboxRepository } from '../../src/store/inbox.repository.js';

export const REPO_DIR = join(import.meta.dirname, '..', '..');
export const VOICEFOX_SECRET = 'vf-test-secret-0123456789abcdef';
export const YUNFU_SECRET = 'yf-test-secret-0123456789abcdef';

export interface TestApp {
  url: string;
  /** The HubSpot emulator this app syncs to (over HTTP, through the real SDK). */
  emulator: HubSpotEmulator;
  app: INestApplication;
  inbox: InboxRepository;
  dir: string;
  /** The store this app uses (its SQLite file, or its PostgreSQL database under TEST_STORE=postgres). */
  databaseUrl: string;
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Resolves once no event is pending or processing (bounded by `timeoutMs`). */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** An emulator to sync to; by default each app gets its own. */
  emulator?: HubSpotEmulator;
  /** Replaces config/mapping.yaml for this app. */
  mappingYaml?: string;
}

/** A real connector on an ephemeral loopback port, with its own SQLite file and config folder. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'connector-test-'));
  const configDir = join(dir, 'config');
  cpSync(join(REPO_DIR, 'config'), configDir, { recursive: true });
  if (options.mappingYaml !== undefined) writeFileSync(join(configDir, 'mapping.yaml'), options.mappingYaml);

  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = new AppLogger(createPinoLogger('debug', sink));
  // TEST_STORE=postgres: the same tests on a fresh PostgreSQL database per app (dropped on close).
  const database = POSTGRES_RUN && options.env?.['DATABASE_URL'] === undefined ? await createTestDatabase() : null;
  const databaseUrl = options.env?.['DATABASE_URL'] ?? database?.url ?? `sqlite:${join(dir, 'connector.sqlite')}`;
  const ownEmulator = options.emulator === undefined;
  const emulator = options.emulator ?? (await HubSpotEmulator.start());
  const app = await createApp({
    logger,
    env: {
      NODE_ENV: 'test',
      HUBSPOT_ACCESS_TOKEN: 'pat-test-0000-0000',
      HUBSPOT_BASE_URL: emulator.url,
      HUBSPOT_RETRY_BASE_MS: '20',
      HUBSPOT_RETRY_MAX_MS: '200',
      HUBSPOT_PROBE_INTERVAL_MS: '200',
      SYNC_LINGER_MS: '20',
      SYNC_RETRY_BASE_MS: '200',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      CONFIG_DIR: configDir,
      VOICEFOX_WEBHOOK_SECRET: VOICEFOX_SECRET,
      YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
      WORKER_POLL_INTERVAL_MS: '50',
      // Recordings are fetched only in the tests about them (fixtures link to hosts off this machine); those allow
      // the loopback recording hosts they start.
      RECORDINGS_ENABLED: 'false',
      RECORDINGS_ALLOW_NETWORKS: '127.0.0.0/8',
      ...options.env,
    },
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  const inbox = app.get(InboxRepository);
  return {
    url: `http://127.0.0.1:${address.port}`,
    emulator,
    app,
    inbox,
    dir,
    databaseUrl,
    logs,
    async settled(timeoutMs = 10_000) {
      await waitFor(async () => {
        const counts = await inbox.countByStatus();
        return counts.pending === 0 && counts.processing === 0 && counts.retrying === 0;
      }, timeoutMs);
    },
    async close() {
      await app.close();
      if (ownEmulator) await emulator.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` every 25 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

/** `details.config` of `/health/ready`: the mapping in force on an instance and its version in the store. */
export interface ConfigHealth {
  status: string;
  version?: number;
  digest?: string;
  stored?: { at: string; by: string; trigger: string };
  message?: string;
  problems?: string[];
}
