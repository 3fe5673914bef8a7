import { Inject, Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import { textDigest } from '../common/content-digest.js';
import type {
  MappingVersionInfo,
  MappingVersionStore,
  NewMappingVersion,
  StoredMappingVersion,
} from '../config/mapping-version-store.js';
import type { MappingVersionTable, StoreDb } from './database.js';
import { STORE_DB } from './inbox.repository.js';

/** A publish that lost the race to a different text tries again on top of it, this many times at most. */
const PUBLISH_ATTEMPTS = 5;

const INFO_COLUMNS = ['version', 'digest', 'stored_at', 'stored_by', 'trigger'] as const;

/**
 * The versions of the mapping in force per portal (table `mapping_versions`, history kept): the config service
 * publishes a reloaded file here and polls the current version, so that a reload on any instance reaches all.
 */
@Injectable()
export class MappingVersionRepository implements MappingVersionStore {
  constructor(@Inject(STORE_DB) private readonly db: StoreDb) {}

  async head(portalId: string): Promise<Pick<MappingVersionInfo, 'version' | 'digest'> | null> {
    // The primary key (portal_id, version) answers this from its index, read backwards: cheap enough to poll.
    const row = await this.db
      .selectFrom('mapping_versions')
      .select(['version', 'digest'])
      .where('portal_id', '=', portalId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { version: Number(row.version), digest: row.digest } : null;
  }

  async current(portalId: string): Promise<StoredMappingVersion | null> {
    const row = await this.db
      .selectFrom('mapping_versions')
      .select([...INFO_COLUMNS, 'yaml'])
      .where('portal_id', '=', portalId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { ...info(row), yaml: row.yaml } : null;
  }

  async findByDigest(portalId: string, digest: string): Promise<MappingVersionInfo | null> {
    const row = await this.db
      .selectFrom('mapping_versions')
      .select(INFO_COLUMNS)
      .where('portal_id', '=', portalId)
      .where('digest', '=', digest)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? info(row) : null;
  }

  /**
   * One conditional insert: the next version number, unless the current version already holds this digest. Two
   * instances storing at once compute the same next number; the primary key lets one in and the other's insert does
   * nothing, and the loser then finds either its own text current (done) or another (stored on top of it).
   */
  async publish(
    portalId: string,
    entry: NewMappingVersion,
    now: Date,
  ): Promise<{ stored: MappingVersionInfo; created: boolean }> {
    const digest = textDigest(entry.yaml);
    const storedAt = now.toISOString();
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      const latest = this.db
        .selectFrom('mapping_versions')
        .select((eb) => eb.fn.max('version').as('top'))
        .where('portal_id', '=', portalId)
        .as('latest');
      const inserted = await this.db
        .insertInto('mapping_versions')
        .columns(['portal_id', 'version', 'yaml', 'digest', 'stored_at', 'stored_by', 'trigger'])
        .expression(
          this.db
            .selectFrom(latest)
            .select([
              sql<string>`${portalId}`.as('portal_id'),
              sql<number>`coalesce(latest.top, 0) + 1`.as('version'),
              sql<string>`${entry.yaml}`.as('yaml'),
              sql<string>`${digest}`.as('digest'),
              sql<string>`${storedAt}`.as('stored_at'),
              sql<string>`${entry.storedBy}`.as('stored_by'),
              sql<string>`${entry.trigger}`.as('trigger'),
            ])
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('mapping_versions as held')
                    .select(sql`1`.as('one'))
                    .where('held.portal_id', '=', portalId)
                    .where('held.digest', '=', digest)
                    .whereRef('held.version', '=', 'latest.top'),
                ),
              ),
            ),
        )
        .onConflict((conflict) => conflict.columns(['portal_id', 'version']).doNothing())
        .returning('version')
        .executeTakeFirst();
      if (inserted) {
        const stored = { version: Number(inserted.version), digest, storedAt, storedBy: entry.storedBy };
        return { stored: { ...stored, trigger: entry.trigger }, created: true };
      }
      const current = await this.current(portalId);
      if (current?.digest === digest) {
        const { yaml: _text, ...stored } = current;
        return { stored, created: false };
      }
    }
    throw new Error(
      `mapping version: not stored after ${PUBLISH_ATTEMPTS} attempts (other instances kept storing at the same time)`,
    );
  }
}

function info(
  row: Pick<Selectable<MappingVersionTable>, 'version' | 'digest' | 'stored_at' | 'stored_by' | 'trigger'>,
): MappingVersionInfo {
  return {
    version: Number(row.version),
    digest: row.digest,
    storedAt: row.stored_at,
    storedBy: row.stored_by,
    trigger: row.trigger,
  };
}
