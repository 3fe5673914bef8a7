import type { AddressInfo } from 'node:net';
import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { createApp } from '../src/app.factory.js';
import { APP_ENV } from '../src/config/config.tokens.js';
import type { AppEnv } from '../src/config/env.schema.js';
import { AppLogger, createPinoLogger } from '../src/logging/app-logger.js';

/**
 * The connector's own application with one more route, `POST /bench/bare`, that reads the body and answers `{}`
 * without validating or storing anything: the framework's ceiling for the ingest benchmark. Run as a process by
 * `bench/run-benchmarks.ts`; it prints `{"benchApp":"<url>"}` once listening.
 */
@Controller('bench')
class BareController {
  @Post('bare')
  @HttpCode(200)
  async bare(@Req() request: Request): Promise<Record<string, never>> {
    for await (const _chunk of request) {
      // read and drop the body, as the webhook route reads it
    }
    return {};
  }
}

async function main(): Promise<void> {
  const logger = new AppLogger(createPinoLogger('warn'));
  const app = await createApp({ logger, controllers: [BareController] });
  const env = app.get<AppEnv>(APP_ENV);
  await app.listen(env.port, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ benchApp: `http://127.0.0.1:${address.port}` })}\n`);
  // A normal exit, so that `--cpu-prof` writes its profile (Nest re-raises SIGTERM, which would not).
  process.on('SIGUSR2', () => void app.close().then(() => process.exit(0)));
}

void main();
