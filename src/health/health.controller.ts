import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { pingStore, type StoreDb } from '../store/database.js';
import { STORE_DB } from '../store/inbox.repository.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(STORE_DB) private readonly db: StoreDb,
  ) {}

  /** The process is up and serving. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready to take webhooks: the store answers. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const store = this.indicators.check('store');
        try {
          await pingStore(this.db);
          return store.up();
        } catch {
          return store.down({ message: 'the store does not answer' });
        }
      },
    ]);
  }
}
