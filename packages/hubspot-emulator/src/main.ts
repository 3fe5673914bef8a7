/**
 * Standalone HubSpot emulator (`npm run hubspot:emulator` from the repository, or `npm start` in this package).
 *
 * It runs outside the connector's app and config module, so it reads its own few settings here:
 * HUBSPOT_EMULATOR_PORT (default 4010), HUBSPOT_EMULATOR_HOST (default 127.0.0.1),
 * HUBSPOT_EMULATOR_FILES_PORT (HTTPS port serving uploaded files; default 0, a free port) and
 * HUBSPOT_EMULATOR_STATE_FILE (optional; keeps the portal, not the files, across restarts).
 */
import { HubSpotEmulator } from './hubspot-emulator.js';

const DEFAULT_PORT = 4010;

function readPort(name: 'HUBSPOT_EMULATOR_PORT' | 'HUBSPOT_EMULATOR_FILES_PORT', fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be an integer between 0 and 65535 (got "${raw}").`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = readPort('HUBSPOT_EMULATOR_PORT', DEFAULT_PORT);
  const filesPort = readPort('HUBSPOT_EMULATOR_FILES_PORT', 0);
  const host = process.env.HUBSPOT_EMULATOR_HOST?.trim() || '127.0.0.1';
  const stateFile = process.env.HUBSPOT_EMULATOR_STATE_FILE?.trim() || undefined;

  const emulator = await HubSpotEmulator.start({ port, host, stateFile, filesPort });
  console.log(
    `HubSpot emulator listening on ${emulator.url} (controls under ${emulator.url}/_emulator/, files on ${emulator.filesUrl}, state ${stateFile ?? 'in memory only'})`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`HubSpot emulator failed to stop cleanly on ${signal}: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`HubSpot emulator failed to start: ${(error as Error).message}`);
  process.exit(1);
});
