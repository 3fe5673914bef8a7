import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { dirname, join } from 'node:path';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV, CONNECTOR_SETTINGS } from '../config/config.module.js';
import type { ConnectorSettings } from '../config/connector-settings.js';
import type { AppEnv } from '../config/env.schema.js';
import { HubSpotEmulator } from '../hubspot-emulator/hubspot-emulator.js';
import { AppLogger } from '../logging/app-logger.js';
import { connectorPropertyNames, type ConnectorPropertyNames } from '../mapping/connector-properties.js';
import { LedgerRepository } from '../store/ledger.repository.js';
import { HubSpotSyncService } from '../sync/hubspot-sync.service.js';
import { HubSpotProvisioner } from './hubspot-provisioner.js';
import { HubSpotSdkAdapter } from './hubspot-sdk.adapter.js';
import { HubSpotStatus } from './hubspot-status.js';
import { HUBSPOT_PORT } from './hubspot.port.js';

export const HUBSPOT_CONNECTION = Symbol('HUBSPOT_CONNECTION');
export const PROPERTY_NAMES = Symbol('PROPERTY_NAMES');

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
      provide: PROPERTY_NAMES,
      inject: [CONNECTOR_SETTINGS],
      useFactory: (settings: ConnectorSettings): ConnectorPropertyNames =>
        connectorPropertyNames(settings.hubspot.propertyGroup, settings.hubspot.uniquePhoneProperty),
    },
    {
      provide: HUBSPOT_PORT,
      inject: [HUBSPOT_CONNECTION, APP_ENV, AppLogger],
      useFactory: (connection: HubSpotConnection, env: AppEnv, logger: AppLogger) =>
        new HubSpotSdkAdapter({ accessToken: connection.accessToken, baseUrl: connection.baseUrl, ...env.hubspot, logger }),
    },
    {
      provide: HubSpotProvisioner,
      inject: [HUBSPOT_PORT, PROPERTY_NAMES, AppLogger],
      useFactory: (port: HubSpotSdkAdapter, names: ConnectorPropertyNames, logger: AppLogger) => new HubSpotProvisioner(port, names, logger),
    },
    {
      provide: HubSpotSyncService,
      inject: [HUBSPOT_PORT, HubSpotProvisioner, LedgerRepository, PROPERTY_NAMES, CONNECTOR_SETTINGS, APP_ENV, AppLogger, CLOCK],
      useFactory: (
        port: HubSpotSdkAdapter,
        provisioner: HubSpotProvisioner,
        ledger: LedgerRepository,
        names: ConnectorPropertyNames,
        settings: ConnectorSettings,
        env: AppEnv,
        logger: AppLogger,
        clock: Clock,
      ) =>
        new HubSpotSyncService(port, provisioner, ledger, names, { callsWithoutPhone: settings.hubspot.callsWithoutPhone, searchLagMs: env.hubspot.searchLagMs }, logger, () => clock.now()),
    },
  ],
  exports: [HUBSPOT_CONNECTION, HUBSPOT_PORT, HubSpotStatus, HubSpotProvisioner, HubSpotSyncService, LedgerRepository, PROPERTY_NAMES],
})
export class HubSpotModule {}
