import type { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { dirname, join, resolve } from 'node:path';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import { AppLogger } from '../logging/app-logger.js';
import { HubSpotSdkAdapter, type HubSpotAdapterOptions } from './hubspot-sdk.adapter.js';
import { HubSpotSendGate } from './hubspot-send-gate.js';
import { HubSpotStatus } from './hubspot-status.js';
import { HUBSPOT_PORT, type HubSpotPort } from './hubspot.port.js';

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

/**
 * HubSpot as the rest of the connector sees it: the connection (a token, or the sandbox emulator), the port
 * (`@InjectHubSpot()`, implemented by the SDK adapter) and the sync state shown in health and metrics.
 */
@Module({
  providers: [
    {
      provide: HUBSPOT_CONNECTION,
      inject: [APP_ENV],
      useFactory: async (env: AppEnv): Promise<HubSpotConnection> => {
        if (env.hubspotAccessToken !== null) {
          return { mode: 'hubspot', baseUrl: env.hubspotBaseUrl, accessToken: env.hubspotAccessToken, emulator: null };
        }
        // Sandbox: the emulator runs in this process and keeps its portal next to the store. Loaded only here, so
        // a start with a token never loads it.
        const { HubSpotEmulator } = await import('@ai-call-hubspot-connector/hubspot-emulator');
        // The sandbox portal is kept beside the store's data (with a PostgreSQL store, in ./data), so that after a
        // restart the ledgers' ids still point at the same sandbox contacts and calls.
        const stateDir =
          env.database.kind === 'postgres'
            ? resolve('data')
            : env.database.file === ':memory:'
              ? null
              : dirname(env.database.file);
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
    // Opened and closed by the sync leader: only the instance holding the sync lease sends to HubSpot.
    { provide: HubSpotSendGate, useFactory: () => new HubSpotSendGate() },
    {
      provide: HUBSPOT_PORT,
      inject: [HUBSPOT_CONNECTION, APP_ENV, AppLogger, HUBSPOT_REQUEST_OBSERVER, HubSpotSendGate],
      useFactory: (
        connection: HubSpotConnection,
        env: AppEnv,
        logger: AppLogger,
        onRequestDone: HubSpotRequestObserver,
        sendGate: HubSpotSendGate,
      ): HubSpotPort =>
        new HubSpotSdkAdapter({
          accessToken: connection.accessToken,
          baseUrl: connection.baseUrl,
          ...env.hubspot,
          logger,
          onRequestDone,
          sendGate,
        }),
    },
  ],
  exports: [HUBSPOT_CONNECTION, HUBSPOT_PORT, HubSpotStatus, HubSpotSendGate],
})
export class HubSpotModule {}
