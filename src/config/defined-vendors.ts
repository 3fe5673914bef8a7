import { resolve } from 'node:path';
import { ownValue } from '../common/own-value.js';
import { configuredVendor } from '../vendors/configured/configured.vendor.js';
import { registerVendor, vendorDefinition } from '../vendors/vendors.js';
import { loadConnectorSettings } from './mapping/mapping-file.js';
import { ConfigFileError, MAPPING_FILE } from './mapping/mapping-settings.js';

/** `CONFIG_DIR` as the environment gives it (the folder of `mapping.yaml`), before the rest is validated. */
export function configDirFrom(raw: Record<string, unknown>): string {
  const value = ownValue(raw, 'CONFIG_DIR');
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- settings arrive as text (or numbers in tests)
  const text = value === undefined || value === null ? '' : String(value).trim();
  return resolve(text === '' ? './config' : text);
}

/**
 * Registers the vendors `mapping.yaml` defines (`vendors.<id>.definition`), so that the environment is then read with
 * their secret settings, and the mapping with their sections. Runs once at start, before both. A file that does not
 * read (a syntax error, any problem) registers nothing here: reading the mapping next reports all its problems with
 * their lines, and the start stops there.
 *
 * Which vendors exist, their names and secret settings are fixed from here until a restart: a reload or a stored
 * version that adds or removes a defined vendor, or renames one or its secret, is refused (see `ConnectorConfig`).
 */
export function registerDefinedVendors(configDir: string): void {
  let vendors;
  try {
    vendors = loadConnectorSettings(configDir).vendors;
  } catch (error) {
    if (error instanceof ConfigFileError) return;
    throw error;
  }
  for (const [id, settings] of Object.entries(vendors)) {
    const spec = settings.definition;
    if (spec === null) continue;
    const known = vendorDefinition(id);
    // Registered already by an earlier start in this process (tests start several apps): the same vendor is kept.
    if (
      known?.definedInMapping &&
      known.secret.setting === spec.secretSetting &&
      known.displayName === spec.displayName
    )
      continue;
    if (known)
      throw new ConfigFileError([
        `${MAPPING_FILE} vendors.${id}.definition: a vendor ${id} with another name or secret setting is running in this process: restart it to change them`,
      ]);
    registerVendor(configuredVendor(id, spec, settings));
  }
}
