import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CLOCK, systemClock, type Clock } from '../common/clock.js';
import { loadMappingFile } from './mapping/mapping-file.js';
import { APP_ENV, MAPPING_AT_START } from './config.tokens.js';
import { ConnectorConfig } from './connector-config.service.js';
import { envAtStart, withSandboxSecrets, type AppEnv } from './env.schema.js';
import { VendorsInForce } from './vendors-in-force.js';

export interface AppConfigOptions {
  /** Settings to use instead of the process environment and `.env` (tests, embedding). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
}

/**
 * Validates the environment once at start-up (`@nestjs/config` with a validate function) and the files under
 * `CONFIG_DIR`; exposes both as typed, injectable objects, with the vendors under the mapping in force. A bad setting stops the start with the key named.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    const explicit = options.env;
    const configModule = ConfigModule.forRoot({
      ignoreEnvFile: explicit !== undefined,
      ignoreEnvVars: explicit !== undefined,
      // The validated object goes under one key so that @nestjs/config copies nothing back into process.env.
      // The vendors mapping.yaml defines are registered first: the environment holds their secrets. In sandbox mode,
      // secrets not set are made up for this run (see `withSandboxSecrets`); the command-line tools never do.
      validate: (raw) => ({ app: withSandboxSecrets(envAtStart(explicit ?? raw)) }),
    });
    // forRoot validates eagerly; Nest awaits this promise later and rethrows its error from NestFactory.create.
    // Marking it handled now keeps Node from reporting that rejection as unhandled in between.
    configModule.catch(() => undefined);
    return {
      module: AppConfigModule,
      imports: [configModule],
      providers: [
        { provide: APP_ENV, inject: [ConfigService], useFactory: (config: ConfigService) => config.get<AppEnv>('app') },
        {
          provide: MAPPING_AT_START,
          inject: [APP_ENV],
          useFactory: (env: AppEnv) => loadMappingFile(env.configDir),
        },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        ConnectorConfig,
        VendorsInForce,
      ],
      exports: [APP_ENV, CLOCK, ConnectorConfig, VendorsInForce],
    };
  }
}
