import type { VendorDefinition } from '../vendor-definition.js';
import type { WebhookAuthScheme } from '../webhook-auth-scheme.js';
import type { ConfiguredVendorSpec } from './configured-vendor-spec.js';
import { ConfiguredMapper } from './configured.mapper.js';
import { ConfiguredWebhook } from './configured.webhook.js';

/** What a configured vendor's section says besides its definition: how it signs, where its times and numbers are. */
export interface ConfiguredVendorSettings {
  auth: WebhookAuthScheme;
  timeZone: string;
  defaultRegion: string;
}

/**
 * The definition of a vendor described in `config/mapping.yaml`: its splitter and mapper follow the spec. The one
 * registered at start fixes the vendor's id, name and secret setting; each mapping version in force builds its own
 * from that version's spec (see `buildVendors`), so that field paths follow a reload.
 */
export function configuredVendor(
  id: string,
  spec: ConfiguredVendorSpec,
  settings: ConfiguredVendorSettings,
): VendorDefinition {
  return {
    id,
    displayName: spec.displayName,
    callEvents: Object.keys(spec.callEvents),
    secret: { setting: spec.secretSetting },
    auth: settings.auth,
    defaultReply: {},
    defaults: { timeZone: settings.timeZone, defaultRegion: settings.defaultRegion },
    webhook: new ConfiguredWebhook(id, spec),
    mapper: new ConfiguredMapper(id, spec),
    definedInMapping: true,
  };
}
