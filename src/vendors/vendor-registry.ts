import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { intentionLabels, VENDOR_IDS, type ConnectorSettings, type VendorId, type VendorSettings } from '../config/connector-settings.js';
import type { MappingContext, VendorMapper } from './vendor-mapper.js';
import type { VendorWebhook } from './vendor-webhook.js';
import { VoiceFoxMapper } from './voicefox/voicefox.mapper.js';
import { VoiceFoxWebhook } from './voicefox/voicefox.webhook.js';
import { YunfuMapper } from './yunfu/yunfu.mapper.js';
import { YunfuWebhook } from './yunfu/yunfu.webhook.js';

export interface Vendor {
  id: VendorId;
  webhook: VendorWebhook;
  mapper: VendorMapper;
  settings: VendorSettings;
  mappingContext: MappingContext;
}

/** Every supported vendor: adding one is its webhook splitter, its mapper and a line here. */
const VENDOR_PARTS: Record<VendorId, { webhook: VendorWebhook; mapper: VendorMapper }> = {
  voicefox: { webhook: new VoiceFoxWebhook(), mapper: new VoiceFoxMapper() },
  yunfu: { webhook: new YunfuWebhook(), mapper: new YunfuMapper() },
};

/** The vendors under the mapping in force: their settings follow a reload. */
@Injectable()
export class VendorRegistry {
  private readonly built = new WeakMap<ConnectorSettings, Map<string, Vendor>>();

  constructor(
    private readonly config: ConnectorConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The vendor by id, whether enabled or not. */
  find(id: string, settings: ConnectorSettings = this.config.current()): Vendor | undefined {
    return this.vendors(settings).get(id);
  }

  all(settings: ConnectorSettings = this.config.current()): Vendor[] {
    return [...this.vendors(settings).values()];
  }

  private vendors(settings: ConnectorSettings): Map<string, Vendor> {
    let vendors = this.built.get(settings);
    if (!vendors) {
      vendors = buildVendors(settings, () => this.clock.now());
      this.built.set(settings, vendors);
    }
    return vendors;
  }
}

/** The vendors under a given mapping (also for tools that run without the application). */
export function buildVendors(settings: ConnectorSettings, now: () => Date): Map<string, Vendor> {
  return new Map(
    VENDOR_IDS.map((id) => {
      const vendorSettings = settings.vendors[id];
      const mappingContext: MappingContext = {
        timeZone: vendorSettings.timeZone,
        defaultRegion: vendorSettings.defaultRegion,
        intentionLabels: intentionLabels(vendorSettings),
        now,
      };
      return [id, { id, ...VENDOR_PARTS[id], settings: vendorSettings, mappingContext }];
    }),
  );
}
