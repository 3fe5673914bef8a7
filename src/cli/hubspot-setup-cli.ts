import { ConfigFileError } from '../config/mapping/mapping-settings.js';
import { loadConnectorSettings } from '../config/mapping/mapping-file.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import { HubSpotError } from '../hubspot/hubspot-errors.js';
import { HubSpotProvisioner, ProvisioningError } from '../sync/hubspot-provisioner.js';
import { HubSpotSdkAdapter } from '../hubspot/hubspot-sdk.adapter.js';
import { AppLogger, createPinoLogger } from '../logging/app-logger.js';
import { ownValue } from '../common/own-value.js';

/** What each scope the connector needs is for, as `hubspot:setup` explains a missing one. */
const SCOPE_USES: Record<string, string> = {
  'crm.objects.contacts.read': 'find contacts by phone and calls by key',
  'crm.objects.contacts.write': 'create contacts and calls',
  'crm.schemas.contacts.read': 'read the properties the mapping writes',
  'crm.schemas.contacts.write': "create the connector's properties and add intention and tag options",
  files: "keep call recordings in HubSpot's File Manager; or set recordings.mode: off in config/mapping.yaml",
};

/**
 * `npm run hubspot:setup`: checks the token and each scope the connector needs, then creates in the HubSpot portal
 * what the connector writes (the property group, the unique E.164 contact property, the call properties), and
 * reports existing properties of the wrong type by name. The connector does the same at start; this lets an admin
 * do it, and see the result, before going live.
 */
async function main(): Promise<number> {
  const env = envFromProcess();
  if (env.hubspotAccessToken === null) {
    process.stderr.write(
      'HUBSPOT_ACCESS_TOKEN is not set. (In sandbox mode the built-in emulator is set up when the connector starts.)\n',
    );
    return 2;
  }
  const settings = loadConnectorSettings(env.configDir);
  const logger = new AppLogger(createPinoLogger('warn'));
  const adapter = new HubSpotSdkAdapter({
    accessToken: env.hubspotAccessToken,
    baseUrl: env.hubspotBaseUrl,
    ...env.hubspot,
    logger,
  });
  process.stdout.write(`HubSpot: ${env.hubspotBaseUrl} (API version ${env.hubspot.apiVersion})\n`);
  try {
    // `files` only while recordings are kept (recordings.mode attach or link).
    const access = await adapter.checkAccess({ files: settings.recordings.mode !== 'off' });
    process.stdout.write(`  portal    ${access.portalId ?? '(unknown)'}\n`);
    if (access.missingScopes.length > 0) {
      for (const scope of access.missingScopes)
        process.stdout.write(`  MISSING SCOPE   ${scope} (to ${ownValue(SCOPE_USES, scope) ?? 'sync calls'})\n`);
      process.stdout.write(
        'Not ready: add these scopes to the service key (Development › Keys › Service keys) or private app, then run this again.\n',
      );
      return 1;
    }
    process.stdout.write('  token     every needed scope is granted\n');
    const provisioner = new HubSpotProvisioner(adapter, logger);
    const report = await provisioner.provision(settings);
    for (const name of report.created) process.stdout.write(`  created   ${name}\n`);
    for (const name of report.existing) process.stdout.write(`  exists    ${name}\n`);
    for (const warning of provisioner.warnings.values()) process.stdout.write(`  SKIPPED   ${warning}\n`);
    const skipped =
      report.skipped.length > 0 ? `, ${report.skipped.length} refused by HubSpot (calls are written without them)` : '';
    process.stdout.write(
      `Ready: ${report.created.length} created, ${report.existing.length} already there${skipped} (${adapter.stats.requests} requests).\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ProvisioningError) {
      for (const problem of error.problems) process.stdout.write(`  PROBLEM   ${problem}\n`);
      process.stdout.write(
        'Not ready: fix or rename these properties in HubSpot (or choose other names in config/mapping.yaml), then run this again.\n',
      );
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
    process.stderr.write(
      known
        ? `${(error as Error).message}\n`
        : `hubspot:setup: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
