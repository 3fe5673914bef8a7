import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/** What an existing store's rows belong to: a single-portal deployment's portal (`DEFAULT_PORTAL`). */
const EXISTING_PORTAL = 'default';

/**
 * The keys carry the HubSpot portal, so that one store can serve several portals later without a rewrite: the inbox
 * dedupes on (portal_id, vendor, event_key), the call ledger is keyed by (portal_id, call_key), the contact ledger
 * by (portal_id, e164). Rows already stored belong to the `default` portal.
 *
 * PostgreSQL changes the constraints in place (inside the migrator's transaction). SQLite cannot change a table's
 * primary key or unique constraint: each table is rebuilt (the SQLite manual's "other kinds of table schema changes")
 * in one transaction: its definition as stored with only the key edited, every row copied, its indexes and triggers
 * made again, and the id sequence kept, so that no inbox id is ever given twice.
 */
export const portalKeysMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect === 'postgres') {
      await addPortalColumn(db, 'inbox_events');
      await db.schema.alterTable('inbox_events').dropConstraint('inbox_events_vendor_event_key').execute();
      await db.schema
        .alterTable('inbox_events')
        .addUniqueConstraint('inbox_events_portal_vendor_event_key', ['portal_id', 'vendor', 'event_key'])
        .execute();
      for (const [table, column] of LEDGER_KEYS) {
        await addPortalColumn(db, table);
        await db.schema.alterTable(table).dropConstraint(`${table}_pkey`).execute();
        await db.schema.alterTable(table).addPrimaryKeyConstraint(`${table}_pkey`, ['portal_id', column]).execute();
      }
      return;
    }
    // Kysely runs SQLite migrations outside a transaction: a rebuild cut short must leave the old table as it was.
    await db.transaction().execute(async (trx) => {
      // A table that has the column was rebuilt in an earlier run whose migration record was not written.
      if (!(await hasPortalColumn(trx, 'inbox_events'))) {
        await addPortalColumn(trx, 'inbox_events');
        await rebuildSqliteTable(trx, 'inbox_events', (ddl) =>
          replaceOnce(
            ddl,
            /constraint "inbox_events_vendor_event_key" unique \("vendor", "event_key"\)/i,
            'constraint "inbox_events_portal_vendor_event_key" unique ("portal_id", "vendor", "event_key")',
            'inbox_events',
          ),
        );
      }
      for (const [table, column] of LEDGER_KEYS) {
        if (await hasPortalColumn(trx, table)) continue;
        await addPortalColumn(trx, table);
        await rebuildSqliteTable(trx, table, (ddl) =>
          withConstraint(
            replaceOnce(ddl, columnPrimaryKey(column), '$1 not null', table),
            `constraint "${table}_pkey" primary key ("portal_id", "${column}")`,
          ),
        );
      }
    });
  },

  /** Back to keys without the portal: fails (a duplicate key) when a second portal shares a key with the first. */
  async down(db: Kysely<unknown>): Promise<void> {
    if (dialect === 'postgres') {
      await db.schema.alterTable('inbox_events').dropConstraint('inbox_events_portal_vendor_event_key').execute();
      await db.schema
        .alterTable('inbox_events')
        .addUniqueConstraint('inbox_events_vendor_event_key', ['vendor', 'event_key'])
        .execute();
      await db.schema.alterTable('inbox_events').dropColumn('portal_id').execute();
      for (const [table, column] of LEDGER_KEYS) {
        await db.schema.alterTable(table).dropConstraint(`${table}_pkey`).execute();
        await db.schema.alterTable(table).addPrimaryKeyConstraint(`${table}_pkey`, [column]).execute();
        await db.schema.alterTable(table).dropColumn('portal_id').execute();
      }
      return;
    }
    await db.transaction().execute(async (trx) => {
      await rebuildSqliteTable(trx, 'inbox_events', (ddl) =>
        replaceOnce(
          ddl,
          /constraint "inbox_events_portal_vendor_event_key" unique \("portal_id", "vendor", "event_key"\)/i,
          'constraint "inbox_events_vendor_event_key" unique ("vendor", "event_key")',
          'inbox_events',
        ),
      );
      await trx.schema.alterTable('inbox_events').dropColumn('portal_id').execute();
      for (const [table, column] of LEDGER_KEYS) {
        await rebuildSqliteTable(trx, table, (ddl) =>
          replaceOnce(
            replaceOnce(ddl, new RegExp(`("${column}" [^,]*?) not null`, 'i'), '$1 primary key', table),
            new RegExp(`, constraint "${table}_pkey" primary key \\("portal_id", "${column}"\\)`, 'i'),
            '',
            table,
          ),
        );
        await trx.schema.alterTable(table).dropColumn('portal_id').execute();
      }
    });
  },
});

/** Each ledger and the column that was its primary key. */
const LEDGER_KEYS = [
  ['call_ledger', 'call_key'],
  ['contact_ledger', 'e164'],
] as const;

async function addPortalColumn(db: Kysely<unknown>, table: string): Promise<void> {
  await db.schema
    .alterTable(table)
    .addColumn('portal_id', 'varchar(64)', (col) => col.notNull().defaultTo(EXISTING_PORTAL))
    .execute();
}

async function hasPortalColumn(db: Kysely<unknown>, table: string): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  return rows.some((row) => row.name === 'portal_id');
}

/** `"column" type primary key` in a stored table definition (the column's own constraint, as 0002 made it). */
function columnPrimaryKey(column: string): RegExp {
  return new RegExp(`("${column}" [^,]*?) primary key`, 'i');
}

/** A table constraint appended to a stored `create table` definition. */
function withConstraint(ddl: string, constraint: string): string {
  return ddl.replace(/\)\s*$/, `, ${constraint})`);
}

function replaceOnce(ddl: string, pattern: RegExp, replacement: string, table: string): string {
  const matches = ddl.match(new RegExp(pattern.source, `${pattern.flags}g`))?.length ?? 0;
  if (matches !== 1)
    throw new Error(`${table} is not defined as this migration expects (${matches} matches of ${pattern.source})`);
  return ddl.replace(pattern, replacement);
}

/**
 * Rebuilds an SQLite table under a changed definition (`edit` of the one stored), in the caller's transaction: a new
 * table, every row copied, the old one dropped and the new one renamed, then the old one's indexes and triggers made
 * again (those SQLite makes itself for keys come with the new definition) and its AUTOINCREMENT sequence kept.
 */
async function rebuildSqliteTable(db: Kysely<unknown>, table: string, edit: (ddl: string) => string): Promise<void> {
  const { rows: objects } = await sql<{ type: string; sql: string | null }>`
    select type, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(db);
  const definition = objects.find((object) => object.type === 'table')?.sql;
  if (!definition) throw new Error(`table ${table} not found`);
  const dependents = objects.filter((object) => object.type !== 'table').map((object) => object.sql!);
  const rebuilt = `${table}_rebuilt`;
  const ddl = replaceOnce(
    edit(definition),
    new RegExp(`^create table "${table}"`, 'i'),
    `CREATE TABLE "${rebuilt}"`,
    table,
  );

  const { rows: columns } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db);
  const columnList = sql.join(columns.map((column) => sql.id(column.name)));
  const sequence = await sqliteSequence(db, table);

  await sql.raw(ddl).execute(db);
  await sql`insert into ${sql.id(rebuilt)} (${columnList}) select ${columnList} from ${sql.id(table)}`.execute(db);
  await sql`drop table ${sql.id(table)}`.execute(db);
  await sql`alter table ${sql.id(rebuilt)} rename to ${sql.id(table)}`.execute(db);
  for (const dependent of dependents) await sql.raw(dependent).execute(db);
  if (sequence !== null) {
    // The copy set the sequence to the highest id left; the old one may be higher (its last rows deleted).
    await sql`delete from sqlite_sequence where name = ${table}`.execute(db);
    await sql`insert into sqlite_sequence (name, seq) values (${table}, ${sequence})`.execute(db);
  }
}

/** The highest id an AUTOINCREMENT table ever gave, or null (no such table, or no id given yet). */
async function sqliteSequence(db: Kysely<unknown>, table: string): Promise<number | null> {
  const { rows: tables } =
    await sql`select 1 from sqlite_master where type = 'table' and name = 'sqlite_sequence'`.execute(db);
  if (tables.length === 0) return null;
  const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${table}`.execute(db);
  return rows[0]?.seq ?? null;
}
