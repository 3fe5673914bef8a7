import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorSummary } from '../common/app-exception.filter.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { AppLogger } from '../logging/app-logger.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { SyncLeader } from './sync-leader.service.js';

const DAY_MS = 86_400_000;
/** The first pass after this instance starts (or takes the lead) waits this long, or the interval if shorter. */
const FIRST_PASS_DELAY_MS = 60_000;
/**
 * Between two batches the pruner rests four times as long as the batch took (at least 10 ms): it works at most a
 * fifth of the time, whatever the store's speed, so that ingest keeps the rest (on SQLite the pruner shares its one
 * writer with ingest and the worker; on PostgreSQL each pruned row is rewritten with its index entries). A pass is
 * long only once, on a large store's first: `npm run bench -- retention` measures one over 100,000 events.
 */
const REST_PER_WORK = 4;
const MIN_REST_MS = 10;
/** A long pass (the first after an upgrade on a large store) logs its progress every this many batches. */
const PROGRESS_EVERY_BATCHES = 100;

export interface PrunePass {
  /** Events whose payload this pass pruned. */
  pruned: number;
  /** Statements it ran, each pruning at most `RETENTION_PRUNE_BATCH_SIZE` events. */
  batches: number;
}

/**
 * Retention: the payloads of synced and skipped events are pruned `RETENTION_DAYS` after they were finished (the
 * row stays, so that a redelivery is still a duplicate; the ledgers are not touched; dead events are pruned only by
 * an operator's command). Runs on the instance that holds the sync lease, shortly after it takes the lead and then
 * every `RETENTION_PRUNE_INTERVAL_MS`: one pruner per store, next to the sync's own writes. A pass that goes on after
 * its instance lost the lead would do no harm (each batch prunes only what is due, once), but it stops there anyway.
 */
@Injectable()
export class InboxPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Since this instance started: read by the metrics at each scrape. */
  readonly stats = { pruned: 0 };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PrunePass> | null = null;
  private shuttingDown = false;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly leader: SyncLeader,
    private readonly logger: AppLogger,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() private readonly recordings?: RecordingRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.retention.days === null) {
      this.logger.info({}, 'RETENTION_DAYS=off: payloads of synced and skipped events are kept forever');
      return;
    }
    // Only an instance that may sync may lead, and only the leader prunes.
    if (!this.env.sync.enabled) return;
    this.schedule(this.firstPassDelayMs());
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // A pass stops after its current batch.
    await this.running?.catch(() => undefined);
  }

  /** One pass now, whoever leads (the periodic passes run only on the leader). Stops early only at shutdown. */
  pruneOnce(): Promise<PrunePass> {
    return this.pass(() => !this.shuttingDown);
  }

  private firstPassDelayMs(): number {
    return Math.min(FIRST_PASS_DELAY_MS, this.env.retention.pruneIntervalMs);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.tick(), delayMs).unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.shuttingDown) return;
    if (this.leader.role !== 'leader') {
      // Standing by: looked at again soon, so that a new leader's first pass comes shortly after its takeover.
      this.schedule(this.firstPassDelayMs());
      return;
    }
    try {
      await this.pass(() => !this.shuttingDown && this.leader.role === 'leader');
    } catch (error) {
      this.logger.warn({ error: errorSummary(error) }, 'retention: a prune pass failed; the next one tries again');
    }
    if (!this.shuttingDown) this.schedule(this.env.retention.pruneIntervalMs);
  }

  /** One pass at a time: a second caller gets the pass in flight. */
  private pass(goOn: () => boolean): Promise<PrunePass> {
    this.running ??= this.prune(goOn).finally(() => (this.running = null));
    return this.running;
  }

  private async prune(goOn: () => boolean): Promise<PrunePass> {
    const { days, pruneBatchSize: batchSize } = this.env.retention;
    const result: PrunePass = { pruned: 0, batches: 0 };
    if (days === null) return result;
    const started = performance.now();
    // Fixed for the pass: events finished after it started are not due, so the pass ends.
    const cutoff = new Date(this.clock.now().getTime() - days * DAY_MS);
    for (;;) {
      const batchStarted = performance.now();
      const pruned = await this.inbox.prunePayloads(cutoff, batchSize, this.clock.now());
      const batchMs = performance.now() - batchStarted;
      result.batches++;
      result.pruned += pruned;
      this.stats.pruned += pruned;
      if (pruned < batchSize || !goOn()) break;
      if (result.batches % PROGRESS_EVERY_BATCHES === 0)
        this.logger.info({ pruned: result.pruned, batches: result.batches }, 'retention: pruning payloads');
      await sleep(Math.max(MIN_REST_MS, REST_PER_WORK * batchMs));
    }
    // Audio a vendor sent in a webhook is kept until its recording is stored; past retention it goes as well.
    const audio = (await this.recordings?.pruneAudio(cutoff)) ?? 0;
    if (audio > 0) this.logger.info({ audio, retentionDays: days }, 'retention: kept webhook audio pruned');
    const totals = {
      pruned: result.pruned,
      batches: result.batches,
      retentionDays: days,
      seconds: Math.round(performance.now() - started) / 1000,
    };
    if (result.pruned > 0) this.logger.info(totals, 'retention: payloads of synced and skipped events pruned');
    else this.logger.debug(totals, 'retention: no payload due for pruning');
    return result;
  }
}
