import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError } from '../common/app-error.js';
import { ConfigFileError } from '../config/mapping/mapping-settings.js';
import { loadConnectorSettings } from '../config/mapping/mapping-file.js';
import { vendorIds } from '../vendors/vendors.js';
import { configDirFrom, registerDefinedVendors } from '../config/defined-vendors.js';
import { EnvValidationError, envFromProcess } from '../config/env.schema.js';
import { portalOutcomes } from '../sync/hubspot-provisioner.js';
import { HubSpotSdkAdapter } from '../hubspot/hubspot-sdk.adapter.js';
import { AppLogger, createPinoLogger } from '../logging/app-logger.js';
import { MappingPreview } from '../admin/mapping-preview.js';
import { LedgerRepository } from '../store/ledger.repository.js';
import { openMigratedStore } from '../store/migrations/migrations.js';
import { parseJsonBody } from '../webhooks/request-body.reader.js';

/** Read when shown, once the vendors mapping.yaml defines are registered. */
const usage = (): string => `Usage: npm run config:preview -- <payload.json> --vendor ${vendorIds().join('|')}

Prints the HubSpot contact and call properties the payload would write under config/mapping.yaml, without writing.
With HUBSPOT_ACCESS_TOKEN, write modes are applied against the contact and call HubSpot holds now.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { vendor: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1 || !values.vendor) {
    registerDefinedVendors(configDirFrom(process.env));
    process.stdout.write(`${usage()}\n`);
    return values.help ? 0 : 2;
  }
  let text: Buffer;
  try {
    text = readFileSync(positionals[0]!);
  } catch {
    process.stderr.write(`cannot read ${positionals[0]}\n`);
    return 2;
  }
  const env = envFromProcess();
  const settings = loadConnectorSettings(env.configDir);
  const logger = new AppLogger(createPinoLogger('silent'));
  const hubspot = env.hubspotAccessToken
    ? new HubSpotSdkAdapter({
        accessToken: env.hubspotAccessToken,
        baseUrl: env.hubspotBaseUrl,
        ...env.hubspot,
        maxAttempts: 2,
        logger,
      })
    : null;
  const db = await openMigratedStore(env.database);
  try {
    const preview = new MappingPreview(new LedgerRepository(db), hubspot, () => portalOutcomes(hubspot!));
    const result = await preview.preview(values.vendor, parseJsonBody('application/json', text), settings);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (error instanceof ConfigFileError)
      for (const problem of error.problems) process.stderr.write(`  - ${problem}\n`);
    else if (error instanceof AppError || error instanceof EnvValidationError)
      process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`config:preview: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
