import { execFileSync } from 'node:child_process';
import pg from 'pg';
import type { DatabaseSettings } from '../../src/config/env.schema.js';

/**
 * A fresh PostgreSQL database per test file or app (0.1 s each), so that parallel test processes never share
 * tables. The server is the one CI starts (`.ci/run`); `TEST_DATABASE_URL` names a database to connect to for
 * creating the others.
 */
export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let created = 0;

/**
 * Every test database's name starts with this: the run's id (set by the global setup, `test/support/postgres-teardown.ts`,
 * which drops the run's databases at the end) so that two runs on one server never drop each other's.
 */
export const TEST_DATABASE_PREFIX = `t_${process.env['TEST_RUN_ID'] ?? 'x'}_`;

/** Whether this run keeps the connector's store on PostgreSQL (`TEST_STORE=postgres`, see `npm run test:postgres`). */
export const POSTGRES_RUN = process.env['TEST_STORE'] === 'postgres';

function nextName(): string {
  return `${TEST_DATABASE_PREFIX}${process.pid}_${++created}_${Math.random().toString(36).slice(2, 6)}`;
}

function urlOf(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The same, for code that cannot wait (a connector process's folder is made synchronously): through `psql`.
 * Dropped by the global teardown.
 */
export function createTestDatabaseSync(): string {
  const name = nextName();
  execFileSync('psql', ['-q', '-d', TEST_DATABASE_URL, '-c', `create database ${name}`], {
    stdio: 'pipe',
    timeout: 20_000,
  });
  return urlOf(name);
}

export interface TestDatabase {
  url: string;
  /** The store settings for this database, as `DATABASE_URL` would give them. */
  settings(poolSize?: number): Extract<DatabaseSettings, { kind: 'postgres' }>;
  drop(): Promise<void>;
}

function settingsOf(url: string, poolSize: number): Extract<DatabaseSettings, { kind: 'postgres' }> {
  const parsed = new URL(url);
  return {
    kind: 'postgres',
    url,
    host: `${parsed.hostname}:${parsed.port || '5432'}`,
    name: parsed.pathname.slice(1),
    poolSize,
  };
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = nextName();
  await admin((client) => client.query(`create database ${name}`));
  const url = urlOf(name);
  return {
    url,
    settings: (poolSize = 4) => settingsOf(url, poolSize),
    async drop() {
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Drops the test databases a run left behind (its connector-process databases, and any a failed test did not drop). */
export async function dropTestDatabases(prefix: string): Promise<number> {
  return admin(async (client) => {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [
      `${prefix}%`,
    ]);
    for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
    return rows.length;
  });
}
