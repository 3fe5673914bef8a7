import type { AppLogger } from '../logging/app-logger.js';
import { callPropertyDefinitions, contactPropertyDefinitions, type ConnectorPropertyNames } from '../mapping/connector-properties.js';
import type { HubSpotObjectType, HubSpotPort, PropertyDefinition, PropertyOption } from './hubspot.port.js';

export interface ProvisioningReport {
  created: string[];
  existing: string[];
  /** Properties that exist with the wrong type or flags: reported, never overwritten. */
  problems: string[];
}

/** A needed property exists in the portal in a form the connector cannot write. */
export class ProvisioningError extends Error {
  constructor(readonly problems: string[]) {
    super(`HubSpot properties need attention: ${problems.join('; ')}`);
    this.name = 'ProvisioningError';
  }
}

/**
 * Creates what the connector writes in HubSpot when it is missing (a property group on contacts and calls, the
 * unique E.164 contact property, the call properties), and keeps enumeration options ahead of the values written.
 */
export class HubSpotProvisioner {
  /** Known options of enumeration properties, `objectType.name` → values. */
  private readonly options = new Map<string, Set<string>>();
  private provisioned = false;

  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly names: ConnectorPropertyNames,
    private readonly logger: AppLogger,
  ) {}

  get isProvisioned(): boolean {
    return this.provisioned;
  }

  async provision(): Promise<ProvisioningReport> {
    const report: ProvisioningReport = { created: [], existing: [], problems: [] };
    await this.provisionObject('contacts', contactPropertyDefinitions(this.names), report);
    await this.provisionObject('calls', callPropertyDefinitions(this.names), report);
    if (report.problems.length > 0) throw new ProvisioningError(report.problems);
    this.provisioned = true;
    if (report.created.length > 0) this.logger.info({ created: report.created }, 'HubSpot properties created');
    return report;
  }

  /** Adds the values that are not yet options of an enumeration property, before they are written. */
  async ensureOptions(objectType: HubSpotObjectType, name: string, values: Iterable<string>): Promise<void> {
    const key = `${objectType}.${name}`;
    const known = this.options.get(key) ?? new Set<string>();
    const missing = [...new Set(values)].filter((value) => !known.has(value));
    if (missing.length === 0) return;
    // Re-read first: PATCH replaces the whole list, and someone may have added options since.
    const current = (await this.hubspot.listProperties(objectType)).find((property) => property.name === name);
    const existing = current?.options ?? [];
    const existingValues = new Set(existing.map((option) => option.value));
    const added: PropertyOption[] = missing
      .filter((value) => !existingValues.has(value))
      .map((value, index) => ({ label: value, value, displayOrder: existing.length + index, hidden: false }));
    if (added.length > 0) {
      await this.hubspot.updatePropertyOptions(objectType, name, [...existing, ...added]);
      this.logger.info({ property: key, added: added.length }, 'HubSpot enumeration options added');
    }
    this.options.set(key, new Set([...existingValues, ...missing]));
  }

  private async provisionObject(objectType: HubSpotObjectType, wanted: PropertyDefinition[], report: ProvisioningReport): Promise<void> {
    await this.hubspot.ensurePropertyGroup(objectType, this.names.group, 'AI calls');
    const existing = new Map((await this.hubspot.listProperties(objectType)).map((property) => [property.name, property]));
    for (const definition of wanted) {
      const name = `${objectType}.${definition.name}`;
      const found = existing.get(definition.name);
      if (!found) {
        await this.hubspot.createProperty(objectType, definition);
        report.created.push(name);
        if (definition.type === 'enumeration') this.options.set(name, new Set());
        continue;
      }
      const problem = mismatch(definition, found);
      if (problem) report.problems.push(`${name} ${problem}`);
      else report.existing.push(name);
      if (found.type === 'enumeration') this.options.set(name, new Set((found.options ?? []).map((option) => option.value)));
    }
  }
}

function mismatch(wanted: PropertyDefinition, found: PropertyDefinition): string | null {
  if (found.type !== wanted.type) return `is of type ${found.type}; the connector needs ${wanted.type}`;
  if (wanted.type === 'enumeration' && found.fieldType !== wanted.fieldType) {
    return `is a ${found.fieldType} field; the connector needs ${wanted.fieldType}`;
  }
  if (wanted.hasUniqueValue && !found.hasUniqueValue) return 'does not require unique values; the connector needs a unique property';
  return null;
}
