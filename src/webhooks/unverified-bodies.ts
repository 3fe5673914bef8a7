import { Inject, Injectable } from '@nestjs/common';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import type { ByteBudget } from './request-body.reader.js';

/**
 * The memory that bodies not yet authenticated may hold at once, across all connections (`WEBHOOK_UNVERIFIED_BYTES`).
 * A shared secret is checked before a body is read; a signature only after, over the whole body, and a signed
 * vendor's body may be large (ElevenLabs' audio: 40 MiB). Without a bound, anyone able to open connections could
 * make the connector hold one such body per connection before a signature fails. Past the bound, a read is refused
 * with 503 (the sender retries) and what it held is given back.
 */
@Injectable()
export class UnverifiedBodies implements ByteBudget {
  private held = 0;
  /** Reads refused because the budget was spent, for the record. */
  refused = 0;

  constructor(@Inject(APP_ENV) private readonly env: Pick<AppEnv, 'webhookUnverifiedBytes'>) {}

  take(bytes: number): boolean {
    if (this.held + bytes > this.env.webhookUnverifiedBytes) {
      this.refused++;
      return false;
    }
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }
}
