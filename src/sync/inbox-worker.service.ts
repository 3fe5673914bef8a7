import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { errorSummary } from '../common/app-exception.filter.js';
import { PayloadValidationError } from '../common/payload-validation.js';
import { APP_ENV } from '../config/config.module.js';
import type { AppEnv } from '../config/env.schema.js';
import { AppLogger } from '../logging/app-logger.js';
import { InboxRepository, type EventOutcome, type InboxEventRow } from '../store/inbox.repository.js';
import { InboxSignal } from '../store/inbox-signal.js';
import { VendorRegistry } from '../vendors/vendor-registry.js';

/** A claimed batch not finished within this time is taken again by the next claim (the worker died). */
const LEASE_MS = 5 * 60_000;

/**
 * Claims pending inbox events in batches and runs each through its vendor's mapper. Every event ends mapped (with
 * its CallRecords), skipped (an event that carries no call) or dead (with the reason); none is dropped silently.
 */
@Injectable()
export class InboxWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly vendors: VendorRegistry,
    private readonly signal: InboxSignal,
    private readonly logger: AppLogger,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming and lets the batch in flight finish. */
  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.signal.notify();
    await this.loop;
  }

  /** Processes what is pending now; answers how many events it handled. Used by the loop and by tools. */
  async drainOnce(): Promise<number> {
    const batch = await this.inbox.claim(this.env.workerBatchSize, LEASE_MS, this.clock.now());
    for (const row of batch) {
      const outcome = this.process(row);
      await this.inbox.complete(row.id, row.revision, outcome, this.clock.now());
    }
    return batch.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.drainOnce();
      } catch (error) {
        this.logger.error({ err: errorSummary(error) }, 'inbox worker: batch failed; retrying after the poll interval');
      }
      if (handled < this.env.workerBatchSize && this.running) await this.signal.wait(this.env.workerPollIntervalMs);
    }
  }

  private process(row: InboxEventRow): EventOutcome {
    const log = { vendor: row.vendor, eventId: row.id, correlationId: row.correlation_id, event: row.event_name };
    const vendor = this.vendors.find(row.vendor);
    if (!vendor) {
      this.logger.warn(log, 'inbox event of an unknown vendor: dead-lettered');
      return { status: 'dead', error: `no mapper for vendor ${row.vendor}` };
    }
    try {
      const result = vendor.mapper.map({ eventName: row.event_name, payload: JSON.parse(row.payload) }, vendor.mappingContext);
      if (result.kind === 'skipped') {
        this.logger.info({ ...log, reason: result.reason }, 'inbox event skipped');
        return { status: 'skipped', error: result.reason };
      }
      this.logger.info({ ...log, calls: result.records.length }, 'inbox event mapped');
      return { status: 'mapped', records: result.records };
    } catch (error) {
      const reason =
        error instanceof PayloadValidationError ? `invalid payload: ${error.message}` : `mapping failed: ${errorSummary(error).message}`;
      this.logger.warn({ ...log, reason }, 'inbox event dead-lettered');
      return { status: 'dead', error: reason };
    }
  }
}
