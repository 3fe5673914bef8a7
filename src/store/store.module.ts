import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { errorSummary } from '../common/app-exception.filter.js';
import { APP_ENV } from '../config/config.tokens.js';
import { AppLogger } from '../logging/app-logger.js';
import type { AppEnv } from '../config/env.schema.js';
import type { StoreDb } from './database.js';
import { InboxRepository, STORE_DB } from './inbox.repository.js';
import { InboxSignal } from './inbox-signal.js';
import { LeaseRepository } from './lease.repository.js';
import { LedgerRepository } from './ledger.repository.js';
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

/** The durable store: the inbox (queue, audit log, dedupe) and the sync's ledgers, on SQLite or PostgreSQL. */
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
  ],
  exports: [STORE_DB, InboxRepository, InboxSignal, LedgerRepository, LeaseRepository, SyncFence],
})
export class StoreModule {}
