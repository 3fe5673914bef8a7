import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Selectable } from 'kysely';
import { DEFAULT_PORTAL } from '../config/portal.js';
import { MAX_ROW_ID, type AuditLogTable, type ConsoleSessionTable, type StoreDb } from './database.js';
import { STORE_DB, STORE_PORTAL } from './inbox.repository.js';

export type ConsoleSessionRow = Selectable<ConsoleSessionTable>;

export interface AuditEntry {
  at: Date;
  /**
   * Who: a console session's kind, `sandbox-link` for one opened with the start-up link, `admin-api` for the
   * `/admin` endpoints' bearer token, `unknown` for a refused sign-in.
   */
  actor: 'admin' | 'viewer' | 'sandbox-link' | 'admin-api' | 'unknown';
  /** The first 8 hex characters of the session's stored hash, when a session did it. */
  session: string | null;
  action: string;
  /** Stored as JSON: never a secret, never personal data (ids, counts, digests, versions). */
  detail: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  at: string;
  actor: string;
  session: string | null;
  action: string;
  detail: unknown;
}

/**
 * The operator console's sessions and audit log (migration `0012-console`). Sessions are found by the hash of their
 * secret; the console decides when one has run out (absolute and idle time) and removes it then.
 */
@Injectable()
export class ConsoleRepository {
  constructor(
    @Inject(STORE_DB) private readonly db: StoreDb,
    @Optional() @Inject(STORE_PORTAL) private readonly portalId: string = DEFAULT_PORTAL,
  ) {}

  async createSession(row: ConsoleSessionRow): Promise<void> {
    await this.db.insertInto('console_sessions').values(row).execute();
  }

  async findSession(id: string): Promise<ConsoleSessionRow | undefined> {
    return this.db.selectFrom('console_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async touchSession(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('console_sessions')
      .set({ last_seen_at: at.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** Ends a session; answers whether it was there. */
  async deleteSession(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('console_sessions').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Removes sessions past their end, or idle since before `idleSince`. Answers how many. */
  async deleteExpired(now: Date, idleSince: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('console_sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<=', now.toISOString()), eb('last_seen_at', '<=', idleSince.toISOString())]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async audit(entry: AuditEntry): Promise<void> {
    const values: Omit<Selectable<AuditLogTable>, 'id'> = {
      at: entry.at.toISOString(),
      portal_id: this.portalId,
      actor: entry.actor,
      session: entry.session,
      action: entry.action,
      detail: JSON.stringify(entry.detail),
    };
    await this.db.insertInto('audit_log').values(values).execute();
  }

  /** The latest entries, newest first; with `before`, those older than the entry of that id (the next page). */
  async auditList(limit: number, before?: number): Promise<AuditRecord[]> {
    let query = this.db
      .selectFrom('audit_log')
      .select(['id', 'at', 'actor', 'session', 'action', 'detail'])
      .where('portal_id', '=', this.portalId);
    // A cursor past every id a row can have reads from the newest.
    if (before !== undefined && before <= MAX_ROW_ID) query = query.where('id', '<', before);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => ({ ...row, id: Number(row.id), detail: JSON.parse(row.detail) as unknown }));
  }
}
