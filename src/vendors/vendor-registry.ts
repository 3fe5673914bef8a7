import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { CONNECTOR_SETTINGS } from '../config/config.module.js';
import { VENDOR_IDS, type ConnectorSettings, type VendorId, type VendorSettings } from '../config/connector-settings.js';
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

@Injectable()
export class VendorRegistry {
  private readonly vendors: Map<string, Vendor>;

  constructor(@Inject(CONNECTOR_SETTINGS) settings: ConnectorSettings, @Inject(CLOCK) clock: Clock) {
    this.vendors = new Map(
      VENDOR_IDS.map((id) => {
        const vendorSettings = settings.vendors[id];
        const mappingContext: MappingContext = {
          timeZone: vendorSettings.timeZone,
          defaultRegion: vendorSettings.defaultRegion,
          intentionLabels: vendorSettings.intentions,
          now: () => clock.now(),
        };
        return [id, { id, ...VENDOR_PARTS[id], settings: vendorSettings, mappingContext }];
      }),
    );
  }

  /** The vendor by id, whether enabled or not. */
  find(id: string): Vendor | undefined {
    return this.vendors.get(id);
  }

  all(): Vendor[] {
    return [...this.vendors.values()];
  }
}
