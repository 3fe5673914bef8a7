import 'reflect-metadata';
import type { Server } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppModule } from './app.module.js';
import type { Clock } from './common/clock.js';
import { APP_ENV } from './config/config.tokens.js';
import { ConnectorConfig } from './config/connector-config.service.js';
import { announceConsole } from './console/console-startup.js';
import type { AppEnv } from './config/env.schema.js';
import { HUBSPOT_CONNECTION, type HubSpotConnection } from './hubspot/hubspot.module.js';
import { HubSpotStatus } from './hubspot/hubspot-status.js';
import { AppLogger } from './logging/app-logger.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { describeStore } from './store/database.js';
import { vendorDefinitions } from './vendors/vendors.js';
import { limitConnections, refuseOnClosedConnection, TimedExpressAdapter } from './webhooks/connection-limits.js';
import { ownValue } from './common/own-value.js';

export interface CreateAppOptions {
  logger: AppLogger;
  /** Settings instead of the process environment (tests). */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  controllers?: Array<Type<unknown>>;
}

/** Builds the configured application (not yet listening): shared by `main.ts` and the end-to-end tests. */
export async function createApp(options: CreateAppOptions): Promise<INestApplication<Server>> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), new TimedExpressAdapter(), {
    // Webhook bodies are read by the ingest service itself, with its own size limit and error answers.
    bodyParser: false,
    logger: options.logger,
    abortOnError: false,
  });
  const env = app.get<AppEnv>(APP_ENV);
  options.logger.pino.level = env.logLevel;
  app.set('trust proxy', env.trustProxy);
  limitConnections(app.getHttpServer(), env.http, () => app.get(HttpMetrics).refusedConnection());
  app.disable('x-powered-by');
  app.use(refuseOnClosedConnection);
  app.use(requestLog(options.logger, app.get(HttpMetrics)));
  // SIGHUP is not a shutdown here: it reloads config/mapping.yaml (see ConnectorConfig).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}

/** One line per request: method, route pattern (never the raw URL, which may hold a secret), status, time. */
function requestLog(logger: AppLogger, metrics: HttpMetrics) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      // Express types `route` as any; its path is what the route was declared with.
      const routePath = (request.route as { path?: string | RegExp | Array<string | RegExp> } | undefined)?.path;
      const route = routePath ? `${request.baseUrl}${String(routePath)}` : '(unmatched)';
      const elapsedNs = process.hrtime.bigint() - started;
      const fields = {
        method: request.method,
        route,
        status: response.statusCode,
        ms: Number(elapsedNs / 1000n) / 1000,
        correlationId: response.getHeader('X-Correlation-Id'),
        // What the handler had to say about this request (a webhook: vendor, events stored and repeated).
        ...(response.locals['log'] as Record<string, unknown> | undefined),
      };
      const vendor = request.params['vendor'];
      metrics.record(
        route,
        response.statusCode,
        Number(elapsedNs) / 1e9,
        typeof vendor === 'string' ? vendor : undefined,
      );
      // Probes, and guesses answered 429 (counted in metrics): one line each would flood the log.
      if (route.startsWith('/health') || route === '/metrics' || response.statusCode === 429)
        logger.pino.debug(fields, 'http request');
      else logger.info(fields, 'http request');
    });
    next();
  };
}

/** What an operator needs to see at start: where it listens, where data goes, which vendors are open. */
export function logStartupSummary(
  app: INestApplication,
  logger: AppLogger,
  url: string,
  print?: (line: string) => void,
): void {
  const env = app.get<AppEnv>(APP_ENV);
  // The mapping in force: this instance's file, or the newer version the store holds (see ConnectorConfig).
  const settings = app.get(ConnectorConfig).current();
  logger.info({ url, store: describeStore(env.database), configDir: env.configDir }, 'connector listening');
  for (const definition of vendorDefinitions()) {
    const vendor = definition.id;
    const endpoint = `${url}/webhooks/${vendor}`;
    if (!ownValue(settings.vendors, vendor)?.enabled)
      logger.info({ vendor }, `vendor ${vendor} is disabled in ${'mapping.yaml'}: its endpoint answers 404`);
    else if ((ownValue(env.webhookSecrets, vendor) ?? null) === null) {
      logger.warn(
        { vendor, endpoint },
        `${definition.secret.setting} is not set: ${endpoint} is closed and answers 401 to every request`,
      );
    } else
      logger.info(
        { vendor, endpoint },
        env.generatedSecrets.includes(definition.secret.setting)
          ? `accepting ${vendor} webhooks (with a ${definition.secret.setting} made up for this run)`
          : `accepting ${vendor} webhooks`,
      );
  }
  const hubspot = app.get<HubSpotConnection>(HUBSPOT_CONNECTION);
  app.get(HubSpotStatus).setMode(hubspot.mode);
  if (hubspot.mode === 'sandbox') {
    logger.warn(
      { emulator: hubspot.baseUrl },
      `HUBSPOT_ACCESS_TOKEN is not set: SANDBOX MODE. Calls go to the built-in HubSpot emulator at ${hubspot.baseUrl}, not to a real HubSpot account (see ${hubspot.baseUrl}/crm/v3/objects/calls).`,
    );
  } else logger.info({ hubspot: hubspot.baseUrl }, 'syncing calls to HubSpot');
  announceConsole(app, logger, url, print);
}
