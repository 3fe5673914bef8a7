import { createApp, logStartupSummary } from './app.factory.js';
import { errorSummary } from './common/app-exception.filter.js';
import { ConfigFileError } from './config/mapping/mapping-settings.js';
import { EnvValidationError, logFormat } from './config/env.schema.js';
import { APP_ENV } from './config/config.tokens.js';
import type { AppEnv } from './config/env.schema.js';
import { AppLogger, createPinoLogger, prettyDestination } from './logging/app-logger.js';
import { StoreUnavailableError } from './store/database.js';
import { LISTEN_BACKLOG } from './webhooks/connection-limits.js';

async function main(): Promise<void> {
  const format = logFormat(process.env, process.stdout.isTTY === true);
  const logger = new AppLogger(createPinoLogger('info', format === 'pretty' ? prettyDestination() : undefined));
  try {
    const app = await createApp({ logger });
    const env = app.get<AppEnv>(APP_ENV);
    // Nest passes further arguments to the server's listen(port, host, backlog).
    await (app as unknown as { listen(port: number, host: string, backlog: number): Promise<unknown> }).listen(
      env.port,
      env.host,
      LISTEN_BACKLOG,
    );
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : env.port;
    logStartupSummary(app, logger, `http://${env.host === '0.0.0.0' ? 'localhost' : env.host}:${port}`);
  } catch (error) {
    if (
      error instanceof EnvValidationError ||
      error instanceof ConfigFileError ||
      error instanceof StoreUnavailableError
    ) {
      // A configuration mistake or a store that cannot be reached: say exactly what, in plain text, and stop.
      process.stderr.write(`Cannot start: ${error.message}\n`);
    } else {
      logger.fatal({ error: errorSummary(error) }, 'start-up failed');
    }
    // Exit even if something started before the failure (the sandbox emulator, a socket) would keep the process up.
    logger.pino.flush(() => process.exit(1));
    setTimeout(() => process.exit(1), 1_000).unref();
  }
}

void main();
