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
  exports: [AuthThrottle],
})
export class WebhooksModule {}
