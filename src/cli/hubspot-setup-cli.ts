import { ConfigFileError, loadConnectorSettings } from '../config/connector-settings.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import { HubSpotError } from '../hubspot/hubspot-errors.js';
import { HubSpotProvisioner, ProvisioningError } from '../hubspot/hubspot-provisioner.js';
import { HubSpotSdkAdapter } from '../hubspot/hubspot-sdk.adapter.js';
import { AppLogger, createPinoLogger } from '../logging/app-logger.js';

/**
 * `npm run hubspot:setup`: creates in the HubSpot portal what the connector writes (the property group, the unique
 * E.164 contact property, the call properties), and reports existing properties of the wrong type by name. The
 * connector does the same at start; this lets an admin do it, and see the result, before going live.
 */
async function main(): Promise<number> {
  const env = envFromProcess();
  if (env.hubspotAccessToken === null) {
    process.stderr.write('HUBSPOT_ACCESS_TOKEN is not set. (In sandbox mode the built-in emulator is set up when the connector starts.)\n');
    return 2;
  }
  const settings = loadConnectorSettings(env.configDir);
  const logger = new AppLogger(createPinoLogger('warn'));
  const adapter = new HubSpotSdkAdapter({ accessToken: env.hubspotAccessToken, baseUrl: env.hubspotBaseUrl, ...env.hubspot, logger });
  process.stdout.write(`HubSpot: ${env.hubspotBaseUrl}\n`);
  try {
    const report = await new HubSpotProvisioner(adapter, logger).provision(settings);
    for (const name of report.created) process.stdout.write(`  created   ${name}\n`);
    for (const name of report.existing) process.stdout.write(`  exists    ${name}\n`);
    process.stdout.write(`Ready: ${report.created.length} created, ${report.existing.length} already there (${adapter.stats.requests} requests).\n`);
    return 0;
  } catch (error) {
    if (error instanceof ProvisioningError) {
      for (const problem of error.problems) process.stdout.write(`  PROBLEM   ${problem}\n`);
      process.stdout.write('Not ready: fix or rename these properties in HubSpot (or choose other names in config/mapping.yaml), then run this again.\n');
      return 1;
    }
    if (error instanceof HubSpotError) {
      process.stderr.write(`HubSpot refused: ${error.message}${error.status ? ` (HTTP ${error.status})` : ''}\n`);
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const known = error instanceof EnvValidationError || error instanceof ConfigFileError;
    process.stderr.write(known ? `${(error as Error).message}\n` : `hubspot:setup: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
