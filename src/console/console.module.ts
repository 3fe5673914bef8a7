import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module.js';
import { HubSpotModule } from '../hubspot/hubspot.module.js';
import { RecordingsModule } from '../recordings/recordings.module.js';
import { StoreModule } from '../store/store.module.js';
import { SyncModule } from '../sync/sync.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { ConsoleApiController } from './console-api.controller.js';
import { ConsoleDeliveries } from './console-deliveries.js';
import { ConsoleGuard } from './console.guard.js';
import { ConsoleOverview } from './console-overview.js';
import { ConsoleSessions } from './console-sessions.js';
import { ConsoleTimeline } from './console-timeline.js';
import { ConsoleUiController } from './console-ui.controller.js';

/**
 * The operator console: its browser app (`/console`) and JSON API (`/console/api`), signed in with `ADMIN_TOKEN` or
 * `CONSOLE_VIEWER_TOKEN`. It reads what health and metrics read, the inbox and HubSpot (through the port), and acts
 * through the same services as the admin API and the command-line tools (replay, mapping reload and save).
 */
@Module({
  imports: [StoreModule, HubSpotModule, SyncModule, WebhooksModule, RecordingsModule, AdminModule],
  controllers: [ConsoleApiController, ConsoleUiController],
  providers: [ConsoleSessions, ConsoleGuard, ConsoleOverview, ConsoleDeliveries, ConsoleTimeline],
  exports: [ConsoleSessions],
})
export class ConsoleModule {}
