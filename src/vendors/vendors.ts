import type { VendorDefinition } from './vendor-definition.js';
import { retellVendor } from './retell/retell.vendor.js';
import { vapiVendor } from './vapi/vapi.vendor.js';
import { elevenlabsVendor } from './elevenlabs/elevenlabs.vendor.js';
import { voicefoxVendor } from './voicefox/voicefox.vendor.js';
import { yunfuVendor } from './yunfu/yunfu.vendor.js';

/**
 * The one map of supported vendors. Adding a vendor is a folder under `src/vendors/` with its definition, plus a
 * line here; nothing else in the connector names a vendor.
 */
const definitions = new Map<string, VendorDefinition>(
  [voicefoxVendor, yunfuVendor, retellVendor, vapiVendor, elevenlabsVendor].map((definition) => [
    definition.id,
    definition,
  ]),
);

const VENDOR_ID = /^[a-z][a-z0-9-]{1,31}$/;
const SETTING_NAME = /^[A-Z][A-Z0-9_]{2,63}$/;

/** An id a vendor may have: it is a URL segment (`/webhooks/<id>`) and a key in `config/mapping.yaml`. */
export function isVendorId(id: string): boolean {
  return VENDOR_ID.test(id);
}

/** Every vendor, in registration order. */
export function vendorDefinitions(): VendorDefinition[] {
  return [...definitions.values()];
}

export function vendorIds(): string[] {
  return [...definitions.keys()];
}

export function vendorDefinition(id: string): VendorDefinition | undefined {
  return definitions.get(id);
}

/**
 * Adds a vendor defined outside this folder (a test's fixture vendor; a vendor described in `config/mapping.yaml`,
 * see `src/config/defined-vendors.ts`). Must run before the environment and `config/mapping.yaml` are read, which
 * take the vendors as they are then.
 */
export function registerVendor(definition: VendorDefinition): void {
  if (!VENDOR_ID.test(definition.id))
    throw new Error(`vendor id "${definition.id}" must be 2-32 lowercase letters, digits or -`);
  if (definitions.has(definition.id)) throw new Error(`vendor "${definition.id}" is already registered`);
  if (!SETTING_NAME.test(definition.secret.setting))
    throw new Error(
      `vendor "${definition.id}": secret setting "${definition.secret.setting}" must be an upper-case environment name`,
    );
  if (vendorDefinitions().some((other) => other.secret.setting === definition.secret.setting)) {
    throw new Error(
      `vendor "${definition.id}": secret setting ${definition.secret.setting} is already another vendor's`,
    );
  }
  if (definition.auth.kind === 'secret' && definition.auth.from.length === 0)
    throw new Error(`vendor "${definition.id}": the secret must be allowed somewhere`);
  if (definition.callEvents.length === 0) throw new Error(`vendor "${definition.id}" names no call events`);
  if (definition.updateEvents?.some((name) => !definition.callEvents.includes(name)))
    throw new Error(`vendor "${definition.id}": its update events must be among its call events`);
  definitions.set(definition.id, definition);
}
