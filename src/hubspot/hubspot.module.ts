import { Global, Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { dirname, join } from 'node:path';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { AppEnv } from '../config/env.schema.js';
import { HubSpotEmulator } from '../hubspot-emulator/hubspot-emulator.js';
import { AppLogger } from '../logging/app-logger.js';
import { LedgerRepository } from '../store/ledger.repository.js';
import { HubSpotSyncService } from '../sync/hubspot-sync.service.js';
import { HubSpotError } from './hubspot-errors.js';
import { HubSpotProvisioner } from './hubspot-provisioner.js';
import { HubSpotSdkAdapter, type HubSpotAdapterOptions } from './hubspot-sdk.adapter.js';
import { HubSpotStatus } from './hubspot-status.js';
import { HUBSPOT_PORT } from './hubspot.port.js';

export const HUBSPOT_CONNECTION = Symbol('HUBSPOT_CONNECTION');

/** Told of every request the adapter sends to HubSpot, once it ends (provided by the metrics). */
export const HUBSPOT_REQUEST_OBSERVER = Symbol('HUBSPOT_REQUEST_OBSERVER');
export type HubSpotRequestObserver = NonNullable<HubSpotAdapterOptions['onRequestDone']>;

/** Where the connector's HubSpot is: the real one (a token), or the built-in emulator (sandbox mode). */
export interface HubSpotConnection {
  mode: 'hubspot' | 'sandbox';
  baseUrl: string;
  accessToken: string;
  emulator: HubSpotEmulator | null;
}

/** The sandbox token; the emulator accepts any token, this one only says where it came from. */
const SANDBOX_TOKEN = 'sandbox-token';

@Injectable()
class HubSpotConnectionLifecycle implements OnApplicationShutdown {
  constructor(@Inject(HUBSPOT_CONNECTION) private readonly connection: HubSpotConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.emulator?.close();
  }
}

/** A reloaded mapping is checked against the portal before it goes live; where HubSpot cannot be asked, it is not. */
@Injectable()
class PortalCheckRegistration implements OnModuleInit {
  constructor(
    private readonly config: ConnectorConfig,
    private readonly provisioner: HubSpotProvisioner,
  ) {}

  onModuleInit(): void {
    this.config.setPortalCheck(async (settings) => {
      try {
        return await this.provisioner.check(settings);
      } catch (error) {
        if (error instanceof HubSpotError) return null;
        throw error;
      }
    });
  }
}

@Global()
@Module({
  providers: [
    {
      provide: HUBSPOT_CONNECTION,
      inject: [APP_ENV],
      useFactory: async (env: AppEnv): Promise<HubSpotConnection> => {
        if (env.hubspotAccessToken !== null) {
          return { mode: 'hubspot', baseUrl: env.hubspotBaseUrl, accessToken: env.hubspotAccessToken, emulator: null };
        }
        // Sandbox: the emulator runs in this process and keeps its portal next to the store.
        const stateDir = env.database.file === ':memory:' ? null : dirname(env.database.file);
        const emulator = await HubSpotEmulator.start({
          port: env.hubspot.emulatorPort,
          host: '127.0.0.1',
          ...(stateDir ? { stateFile: join(stateDir, 'hubspot-sandbox.json') } : {}),
        });
        return { mode: 'sandbox', baseUrl: emulator.url, accessToken: SANDBOX_TOKEN, emulator };
      },
    },
    HubSpotConnectionLifecycle,
    HubSpotStatus,
    LedgerRepository,
    {
      provide: HUBSPOT_PORT,
      inject: [HUBSPOT_CONNECTION, APP_ENV, AppLogger, HUBSPOT_REQUEST_OBSERVER],
      useFactory: (connection: HubSpotConnection, env: AppEnv, logger: AppLogger, onRequestDone: HubSpotRequestObserver) =>
        new HubSpotSdkAdapter({ accessToken: connection.accessToken, baseUrl: connection.baseUrl, ...env.hubspot, logger, onRequestDone }),
    },
    {
      provide: HubSpotProvisioner,
      inject: [HUBSPOT_PORT, AppLogger],
      useFactory: (port: HubSpotSdkAdapter, logger: AppLogger) => new HubSpotProvisioner(port, logger),
    },
    {
      provide: HubSpotSyncService,
      inject: [HUBSPOT_PORT, HubSpotProvisioner, LedgerRepository, APP_ENV, AppLogger, CLOCK],
      useFactory: (port: HubSpotSdkAdapter, provisioner: HubSpotProvisioner, ledger: LedgerRepository, env: AppEnv, logger: AppLogger, clock: Clock) =>
        new HubSpotSyncService(port, provisioner, ledger, { searchLagMs: env.hubspot.searchLagMs }, logger, () => clock.now()),
    },
    PortalCheckRegistration,
  ],
  exports: [HUBSPOT_CONNECTION, HUBSPOT_PORT, HubSpotStatus, HubSpotProvisioner, HubSpotSyncService, LedgerRepository],
})
export class HubSpotModule {}
