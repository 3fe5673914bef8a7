import type { INestApplication } from '@nestjs/common';
import { APP_ENV } from '../config/config.tokens.js';
import type { AppEnv } from '../config/env.schema.js';
import type { AppLogger } from '../logging/app-logger.js';
import { ConsoleSessions } from './console-sessions.js';

/**
 * What start-up says about the console: where it is, or that it is closed and how to open it; in sandbox mode, which
 * secrets this run made up (names only) and, once, the one-time sign-in link. The link goes to `print` (standard
 * output, a plain line an operator clicks), never to the log.
 */
export function announceConsole(
  app: INestApplication,
  logger: AppLogger,
  url: string,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): void {
  const env = app.get<AppEnv>(APP_ENV);
  const sessions = app.get(ConsoleSessions);
  const consoleUrl = `${url}/console`;
  if (env.generatedSecrets.length > 0)
    logger.warn(
      { settings: env.generatedSecrets },
      `SANDBOX MODE: made up for this run (never shown, gone at the next start): ${env.generatedSecrets.join(', ')}. Set them to keep them; the console's "send samples" uses the webhook secrets.`,
    );
  if (!sessions.open) {
    logger.warn(
      { console: consoleUrl },
      `the operator console at ${consoleUrl} is closed: set ADMIN_TOKEN (at least 16 characters) to open it, and CONSOLE_VIEWER_TOKEN for read-only sign-in`,
    );
    return;
  }
  logger.info({ console: consoleUrl }, `operator console at ${consoleUrl}`);
  const code = sessions.issueSandboxLink();
  if (code) print(`Console: ${consoleUrl}/#/sign-in?code=${code}`);
}
