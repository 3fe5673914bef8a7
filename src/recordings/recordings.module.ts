import { Module } from '@nestjs/common';
import { HubSpotModule } from '../hubspot/hubspot.module.js';
import { StoreModule } from '../store/store.module.js';
import { SyncModule } from '../sync/sync.module.js';
import { RecordingsStatus } from './recordings-status.js';
import { RecordingsWorker } from './recordings-worker.service.js';

/** The recordings stage (after the call sync): calls' audio kept in HubSpot's File Manager. */
@Module({
  imports: [StoreModule, HubSpotModule, SyncModule],
  providers: [RecordingsStatus, RecordingsWorker],
  exports: [RecordingsStatus, RecordingsWorker],
})
export class RecordingsModule {}
