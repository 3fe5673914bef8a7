import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { openSqliteStore, type StoreDb } from './database.js';
import { InboxRepository, STORE_DB } from './inbox.repository.js';
import { InboxSignal } from './inbox-signal.js';
import { migrateToLatest } from './migrations/migrations.js';

@Injectable()
class StoreLifecycle implements OnApplicationShutdown {
  constructor(@Inject(STORE_DB) private readonly db: StoreDb) {}

  /** Runs after the worker stopped (Nest shuts modules down in reverse order of their imports). */
  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: STORE_DB,
      inject: [APP_ENV],
      useFactory: async (env: AppEnv): Promise<StoreDb> => {
        const db = openSqliteStore(env.database.file);
        await migrateToLatest(db);
        return db;
      },
    },
    StoreLifecycle,
    InboxRepository,
    InboxSignal,
  ],
  exports: [STORE_DB, InboxRepository, InboxSignal],
})
export class StoreModule {}
