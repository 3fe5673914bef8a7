import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseSettings } from '../src/config/env.schema.js';

/** The two stores the connector runs on; every benchmark part runs on each. */
export type BenchDialect = 'sqlite' | 'postgres';
export const DIALECT_TITLES: Record<BenchDialect, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** A throwaway store for one benchmark run: a fresh SQLite file, or a fresh database on the PostgreSQL server. */
export interface BenchStore {
  dialect: BenchDialect;
  /** `DATABASE_URL` for a connector process on this store. */
  url: string;
  /** The same, for opening the store inside the benchmark process. */
  settings: DatabaseSettings;
  drop(): Promise<void>;
}

export function sqliteStore(): BenchStore {
  const dir = mkdtempSync(join(tmpdir(), 'connector-bench-store-'));
  const file = join(dir, 'connector.sqlite');
  return {
    dialect: 'sqlite',
    url: file,
    settings: { kind: 'sqlite', file },
    drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

/**
 * The server the PostgreSQL runs use: `BENCH_DATABASE_URL` names a database to connect to for creating the
 * benchmark's own (default: the local server the tests use). Each run gets a database of its own, dropped after.
 */
export const BENCH_DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export class PostgresServer {
  private created = 0;
  /** Every database of this benchmark process starts with this, so that leftovers of a failed run can be found. */
  private readonly prefix = `bench_${process.pid}_`;

  private constructor(private readonly adminUrl: string) {}

  /** The server, or why it cannot be used (never the URL itself: it may hold a password). */
  static async reach(url = BENCH_DATABASE_URL): Promise<PostgresServer | { unreachable: string }> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return new PostgresServer(url);
    } catch (error) {
      // The driver's own words ("connect ECONNREFUSED 127.0.0.1:5432", "database \"x\" does not exist"): they name
      // the server and the user, never the password.
      return { unreachable: error instanceof Error ? error.message : 'unknown error' };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Host, port and database of the admin URL, for the log. */
  describe(): string {
    const url = new URL(this.adminUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  }

  async createStore(poolSize = 10): Promise<BenchStore> {
    const name = `${this.prefix}${++this.created}`;
    await this.admin((client) => client.query(`create database ${name}`));
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return {
      dialect: 'postgres',
      url: url.toString(),
      settings: {
        kind: 'postgres',
        url: url.toString(),
        host: `${url.hostname}:${url.port || '5432'}`,
        name,
        poolSize,
      },
      drop: () =>
        this.admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
    };
  }

  /** Drops whatever databases this process left (a part that failed half-way). */
  async dropLeftovers(): Promise<void> {
    await this.admin(async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        'select datname from pg_database where starts_with(datname, $1)',
        [this.prefix],
      );
      for (const { datname } of rows) await client.query(`drop database if exists ${datname} with (force)`);
    });
  }

  private async admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      return await run(client);
    } finally {
      await client.end();
    }
  }
}
