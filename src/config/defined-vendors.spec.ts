import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { vendorDefinition, vendorIds } from '../vendors/vendors.js';
import { registerDefinedVendors } from './defined-vendors.js';
import { envAtStart } from './env.schema.js';
import { ConfigFileError } from './mapping/mapping-settings.js';

const BLAND = readFileSync(join(import.meta.dirname, '../../config/examples/bland.yaml'), 'utf8');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const configDir = (yaml: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'defined-vendors-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'mapping.yaml'), yaml);
  return dir;
};

// vitest gives each test file its own modules: the vendors registered here stay in this file.
/** The vendors with code of their own, in their registration order. */
const BUILT_IN = ['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs'];

describe('vendors defined in mapping.yaml, registered at start', () => {
  it('registers nothing from a file that does not read: reading the mapping next reports its problems', () => {
    registerDefinedVendors(configDir(BLAND.replace('unit: s }', 'unit: seconds }')));
    registerDefinedVendors(join(tmpdir(), 'no-such-config-dir'));
    expect(vendorIds()).toEqual(BUILT_IN);
  });

  it('registers them before the environment is read, which then holds their secrets', () => {
    const env = envAtStart({ CONFIG_DIR: configDir(BLAND), BLAND_WEBHOOK_SECRET: 'bland-signing-secret-0123' });
    expect(vendorIds()).toEqual([...BUILT_IN, 'bland']);
    expect(vendorDefinition('bland')).toMatchObject({
      displayName: 'Bland AI',
      secret: { setting: 'BLAND_WEBHOOK_SECRET' },
      definedInMapping: true,
      auth: { kind: 'hmac', signatureHeader: 'x-webhook-signature' },
    });
    expect(env.webhookSecrets['bland']).toBe('bland-signing-secret-0123');
    // A short secret is refused as for any vendor, naming the setting and not the value.
    expect(() => envAtStart({ CONFIG_DIR: configDir(BLAND), BLAND_WEBHOOK_SECRET: 'short' })).toThrow(
      'BLAND_WEBHOOK_SECRET must be at least 16 characters long',
    );
  });

  it('keeps the same vendor on a second start in the process, and refuses one renamed there', () => {
    registerDefinedVendors(configDir(BLAND));
    expect(vendorIds()).toEqual([...BUILT_IN, 'bland']);
    expect(() =>
      registerDefinedVendors(
        configDir(BLAND.replace('secretSetting: BLAND_WEBHOOK_SECRET', 'secretSetting: BLAND_SIGNING_KEY')),
      ),
    ).toThrow(ConfigFileError);
  });
});
