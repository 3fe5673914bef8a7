import { Inject, Injectable } from '@nestjs/common';
import { errorSummary } from '../common/app-exception.filter.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { AppLogger } from '../logging/app-logger.js';
import { ConsoleRepository, type AuditEntry } from './console.repository.js';

/**
 * Records an action in the audit log, stamped now. The action is already done: an entry the store does not take is
 * logged (its action and the error's summary), never thrown. Shared by the console and the `/admin` endpoints.
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly repository: ConsoleRepository,
    private readonly logger: AppLogger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    try {
      await this.repository.audit({ ...entry, at: this.clock.now() });
    } catch (error) {
      this.logger.error({ action: entry.action, error: errorSummary(error) }, 'the audit log did not take an entry');
    }
  }
}
