import { ConfigFileError, MAPPING_FILE } from '../config/mapping/mapping-settings.js';
import { loadConnectorSettings } from '../config/mapping/mapping-file.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import { HubSpotError } from '../hubspot/hubspot-errors.js';
import { ownValue } from '../common/own-value.js';
import { HubSpotProvisioner } from '../sync/hubspot-provisioner.js';
import { HubSpotSdkAdapter } from '../hubspot/hubspot-sdk.adapter.js';
import { AppLogger, createPinoLogger } from '../logging/app-logger.js';

/**
 * `npm run config:check`: checks `config/mapping.yaml` (syntax, schema, fields, templates) and, with a HubSpot token,
 * against the portal (properties exist, types fit, lifecycle stages and call outcomes exist). Exit 0 when it would
 * load; 1 with every problem as `file:line path: problem`.
 */
async function main(): Promise<number> {
  const env = envFromProcess();
  const settings = loadConnectorSettings(env.configDir);
  for (const [id, vendor] of Object.entries(settings.vendors)) {
    if (!vendor.definition) continue;
    const secret = ownValue(env.webhookSecrets, id) ? 'set' : 'NOT SET: its endpoint would answer 401';
    process.stdout.write(
      `vendors.${id}: defined in ${MAPPING_FILE} (${vendor.definition.displayName}; ${vendor.definition.secretSetting} is ${secret}). ` +
        'Its fields, events and auth reload; adding or removing a defined vendor, or changing its displayName or ' +
        'secretSetting, takes effect only when the connector restarts (a reload refuses it and keeps the mapping in force).\n',
    );
  }
  if (env.hubspotAccessToken === null) {
    process.stdout.write(`${MAPPING_FILE}: valid. (Not checked against HubSpot: HUBSPOT_ACCESS_TOKEN is not set.)\n`);
    return 0;
  }
  const logger = new AppLogger(createPinoLogger('silent'));
  const adapter = new HubSpotSdkAdapter({
    accessToken: env.hubspotAccessToken,
    baseUrl: env.hubspotBaseUrl,
    ...env.hubspot,
    maxAttempts: 2,
    logger,
  });
  try {
    const problems = await new HubSpotProvisioner(adapter, logger).check(settings);
    if (problems.length > 0) {
      for (const problem of problems) process.stdout.write(`  - ${problem}\n`);
      process.stdout.write(
        `${MAPPING_FILE}: valid as a file, but HubSpot cannot take it (${problems.length} problem(s) above).\n`,
      );
      return 1;
    }
    process.stdout.write(`${MAPPING_FILE}: valid, and checked against HubSpot at ${env.hubspotBaseUrl}.\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof HubSpotError)) throw error;
    process.stdout.write(`${MAPPING_FILE}: valid. (Not checked against HubSpot: ${error.message})\n`);
    return 0;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof ConfigFileError) {
      for (const problem of error.problems) process.stdout.write(`  - ${problem}\n`);
      process.stdout.write(`${error.problems.length} problem(s): the connector would refuse this mapping.\n`);
    } else
      process.stderr.write(
        error instanceof EnvValidationError
          ? `${error.message}\n`
          : `config:check: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    process.exitCode = 1;
  },
);
