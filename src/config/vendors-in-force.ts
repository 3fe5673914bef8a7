import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { ConnectorConfig } from './connector-config.service.js';
import { intentionLabels, type ConnectorSettings, type VendorSettings } from './mapping/mapping-settings.js';
import type { VendorDefinition } from '../vendors/vendor-definition.js';
import type { MappingContext } from '../vendors/vendor-mapper.js';
import { configuredVendor } from '../vendors/configured/configured.vendor.js';
import { vendorDefinitions } from '../vendors/vendors.js';
import { ownValue } from '../common/own-value.js';

/** A vendor under the mapping in force: its definition with its settings and mapping context. */
export interface Vendor extends VendorDefinition {
  settings: VendorSettings;
  mappingContext: MappingContext;
}

/** The vendors under the mapping in force: their settings follow a reload. */
@Injectable()
export class VendorsInForce {
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
  const vendors = new Map<string, Vendor>();
  for (const definition of vendorDefinitions()) {
    const vendorSettings = ownValue(settings.vendors, definition.id);
    // Settings read before a vendor was registered have no entry for it: such a vendor is not served.
    if (!vendorSettings) continue;
    const mappingContext: MappingContext = {
      timeZone: vendorSettings.timeZone,
      defaultRegion: vendorSettings.defaultRegion,
      intentionLabels: intentionLabels(vendorSettings),
      analysisKeys: vendorSettings.analysisKeys,
      now,
    };
    // A vendor defined in the mapping splits and maps as this version of it says (its field paths follow a reload).
    const parts = vendorSettings.definition
      ? configuredVendor(definition.id, vendorSettings.definition, vendorSettings)
      : definition;
    vendors.set(definition.id, { ...parts, settings: vendorSettings, mappingContext });
  }
  return vendors;
}
