import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { errorSummary } from '../common/app-exception.filter.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { AppLogger } from '../logging/app-logger.js';
import type { AppEnv } from '../config/env.schema.js';
import type { StoreDb } from './database.js';
import { InboxRepository, STORE_DB } from './inbox.repository.js';
import { InboxSignal } from './inbox-signal.js';
import { LeaseRepository } from './lease.repository.js';
import { LedgerRepository } from './ledger.repository.js';
import { MappingVersionRepository } from './mapping-version.repository.js';
import { RecordingRepository } from './recording.repository.js';
import { AuditLog } from './audit-log.js';
import { ConsoleRepository } from './console.repository.js';
import { openMigratedStore } from './migrations/migrations.js';
import { SyncFence } from './sync-fence.js';

@Injectable()
class StoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STORE_DB) private readonly db: StoreDb) {}

  /** Runs after the worker stopped (Nest shuts modules down in reverse order of their imports). */
  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/**
 * The mapping in force is shared through the store: the config service gets the store's versions (through its port,
 * as config never imports the store) and chooses the mapping in force before anything runs (onModuleInit ends before
 * the worker starts, in onApplicationBootstrap); it stops asking before the store closes.
 */
@Injectable()
class MappingVersionsLink implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    private readonly config: ConnectorConfig,
    private readonly versions: MappingVersionRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.config.useStore(this.versions);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.config.stopPolling();
  }
}

/**
 * The durable store: the inbox (queue, audit log, dedupe), the sync's ledgers and lease, the versions of the mapping
 * in force, and the operator console's sessions and audit log, on SQLite or PostgreSQL.
 */
@Module({
  providers: [
    {
      provide: STORE_DB,
      inject: [APP_ENV, AppLogger],
      useFactory: async (env: AppEnv, logger: AppLogger): Promise<StoreDb> => {
        return openMigratedStore(env.database, (error) =>
          logger.warn(
            { error: errorSummary(error) },
            'store: a pooled PostgreSQL connection failed; the next query opens another',
          ),
        );
      },
    },
    StoreLifecycle,
    InboxRepository,
    InboxSignal,
    LedgerRepository,
    LeaseRepository,
    SyncFence,
    MappingVersionRepository,
    RecordingRepository,
    ConsoleRepository,
    AuditLog,
    MappingVersionsLink,
  ],
  exports: [
    STORE_DB,
    InboxRepository,
    InboxSignal,
    LedgerRepository,
    LeaseRepository,
    RecordingRepository,
    SyncFence,
    ConsoleRepository,
    AuditLog,
  ],
})
export class StoreModule {}
