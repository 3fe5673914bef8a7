import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module.js';
import { AuthThrottle } from './auth-throttle.js';
import { UnverifiedBodies } from './unverified-bodies.js';
import { WebhookIngestService } from './webhook-ingest.service.js';
import { WebhooksController } from './webhooks.controller.js';

/** Where vendors' webhooks enter: verified, validated and stored in the inbox; the sync module does the rest. */
@Module({
  imports: [StoreModule],
  controllers: [WebhooksController],
  providers: [WebhookIngestService, AuthThrottle, UnverifiedBodies],
  // The console sends its sandbox samples through the ingest service.
  exports: [AuthThrottle, WebhookIngestService],
})
export class WebhooksModule {}
