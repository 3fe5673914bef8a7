import { DEFAULT_OUTCOMES, type ConnectorSettings } from '../config/connector-settings.js';
import type { AppLogger } from '../logging/app-logger.js';
import { callPropertyDefinitions, connectorPropertyNames, contactPropertyDefinitions } from '../mapping/connector-properties.js';
import { resolveOutcome } from '../mapping/hubspot-write-plan.js';
import { sourceKind } from '../mapping/source-fields.js';
import type { HubSpotObjectType, HubSpotPort, PropertyDefinition, PropertyOption } from './hubspot.port.js';

export interface ProvisioningReport {
  created: string[];
  existing: string[];
  /** Properties that exist with the wrong type or flags: reported, never overwritten. */
  problems: string[];
}

/** The portal cannot take what the mapping would write: a property is missing or of the wrong type. */
export class ProvisioningError extends Error {
  constructor(readonly problems: string[]) {
    super(`HubSpot properties need attention: ${problems.join('; ')}`);
    this.name = 'ProvisioningError';
  }
}

/** The portal's call outcomes, by lowercase label → GUID (how `outcome:` labels in the mapping are resolved). */
export async function portalOutcomes(hubspot: HubSpotPort): Promise<Map<string, string>> {
  const outcomes = await hubspot.listCallDispositions();
  return new Map(outcomes.map((outcome) => [outcome.label.toLowerCase(), outcome.id]));
}

/** What the portal holds that the mapping depends on. */
interface PortalView {
  properties: Record<HubSpotObjectType, Map<string, PropertyDefinition>>;
  /** Outcome label (lowercase) → GUID. */
  outcomes: Map<string, string>;
}

/**
 * Keeps the portal ready for the current mapping: creates what the connector owns when it is missing (a property
 * group, the unique E.164 contact property, the call properties), checks every property the admin mapped against
 * the portal (exists, type fits, static enumeration values are options), resolves configured call outcomes, and
 * keeps enumeration options ahead of the values written.
 */
export class HubSpotProvisioner {
  /** Known options of enumeration properties, `objectType.name` → values. */
  private readonly options = new Map<string, Set<string>>();
  private readyFor: ConnectorSettings | null = null;
  private outcomes = new Map<string, string>();

  constructor(
    private readonly hubspot: HubSpotPort,
    private readonly logger: AppLogger,
  ) {}

  get isProvisioned(): boolean {
    return this.readyFor !== null;
  }

  /** Portal outcome labels (lowercase) → GUIDs, as of the last provisioning. */
  get outcomeIds(): Map<string, string> {
    return this.outcomes;
  }

  /** Provisions and checks, once per mapping (again after a reload). Throws `ProvisioningError` on problems. */
  async ensureReady(settings: ConnectorSettings): Promise<void> {
    if (this.readyFor === settings) return;
    await this.provision(settings);
  }

  async provision(settings: ConnectorSettings): Promise<ProvisioningReport> {
    const names = connectorPropertyNames(settings);
    const report: ProvisioningReport = { created: [], existing: [], problems: [] };
    const view = await this.readPortal();
    await this.provisionObject('contacts', contactPropertyDefinitions(names), view, report, names.group);
    await this.provisionObject('calls', callPropertyDefinitions(names, settings), view, report, names.group);
    report.problems.push(...checkMapping(settings, view));
    if (report.problems.length > 0) throw new ProvisioningError(report.problems);
    this.outcomes = view.outcomes;
    this.readyFor = settings;
    if (report.created.length > 0) this.logger.info({ created: report.created }, 'HubSpot properties created');
    return report;
  }

  /** Read-only: would the portal take this mapping? (Connector-owned properties may be missing: they are created.) */
  async check(settings: ConnectorSettings): Promise<string[]> {
    const view = await this.readPortal();
    const names = connectorPropertyNames(settings);
    const problems: string[] = [];
    for (const [objectType, definitions] of [
      ['contacts', contactPropertyDefinitions(names)],
      ['calls', callPropertyDefinitions(names, settings)],
    ] as const) {
      for (const definition of definitions) {
        const found = view.properties[objectType].get(definition.name);
        const problem = found ? mismatch(definition, found) : null;
        if (problem) problems.push(`${objectType}.${definition.name} ${problem}`);
      }
    }
    return [...problems, ...checkMapping(settings, view)];
  }

  /** Adds the values that are not yet options of an enumeration property, before they are written. */
  async ensureOptions(objectType: HubSpotObjectType, name: string, values: Iterable<string>): Promise<void> {
    const key = `${objectType}.${name}`;
    const known = this.options.get(key);
    if (!known) return; // not an enumeration the connector owns
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

  private async readPortal(): Promise<PortalView> {
    const [contacts, calls, outcomes] = await Promise.all([
      this.hubspot.listProperties('contacts'),
      this.hubspot.listProperties('calls'),
      portalOutcomes(this.hubspot),
    ]);
    return {
      properties: { contacts: new Map(contacts.map((p) => [p.name, p])), calls: new Map(calls.map((p) => [p.name, p])) },
      outcomes,
    };
  }

  private async provisionObject(
    objectType: HubSpotObjectType,
    wanted: PropertyDefinition[],
    view: PortalView,
    report: ProvisioningReport,
    group: string,
  ): Promise<void> {
    const existing = view.properties[objectType];
    const missing = wanted.filter((definition) => !existing.has(definition.name));
    if (missing.length > 0) await this.hubspot.ensurePropertyGroup(objectType, group, 'AI calls');
    // Independent creates: sent together (the limiter still paces them).
    await Promise.all(missing.map((definition) => this.hubspot.createProperty(objectType, definition)));
    for (const definition of wanted) {
      const name = `${objectType}.${definition.name}`;
      const found = existing.get(definition.name);
      if (!found) {
        existing.set(definition.name, definition);
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

/** The admin's mappings against the portal: each named property exists, fits its values, and static values are options. */
function checkMapping(settings: ConnectorSettings, view: PortalView): string[] {
  const problems: string[] = [];
  const property = (objectType: HubSpotObjectType, name: string, where: string): PropertyDefinition | null => {
    const found = view.properties[objectType].get(name);
    if (!found) problems.push(`${where}: HubSpot has no ${objectType === 'contacts' ? 'contact' : 'call'} property "${name}"`);
    return found ?? null;
  };
  for (const mapping of settings.contact.properties) {
    const found = property('contacts', mapping.property, `${mapping.origin}.property`);
    if (found && mapping.source) problems.push(...fits(found, sourceKind(mapping.source), `${mapping.origin}.property`));
  }
  for (const mapping of settings.call.properties) {
    const found = property('calls', mapping.property, `${mapping.origin}.property`);
    if (found && mapping.source) problems.push(...fits(found, sourceKind(mapping.source), `${mapping.origin}.property`));
  }
  for (const answer of settings.answers) property(answer.to === 'contact' ? 'contacts' : 'calls', answer.property, `${answer.origin}.property`);
  if (settings.contact.lifecycleStage) {
    const stage = view.properties.contacts.get('lifecyclestage');
    if (stage && !(stage.options ?? []).some((option) => option.value === settings.contact.lifecycleStage)) {
      problems.push(`contact.lifecycleStage: "${settings.contact.lifecycleStage}" is not a lifecycle stage of this portal (${(stage.options ?? []).map((option) => option.value).join(', ')})`);
    }
  }
  for (const [vendor, vendorSettings] of Object.entries(settings.vendors)) {
    for (const [code, entry] of Object.entries(vendorSettings.intentions)) {
      if (entry.outcome && !resolveOutcome(entry.outcome, view.outcomes)) {
        const known = [...Object.keys(DEFAULT_OUTCOMES), ...[...view.outcomes.keys()].map((label) => `"${label}"`)];
        problems.push(`vendors.${vendor}.intentions.${code}.outcome: "${entry.outcome}" is not a call outcome of this portal (${known.join(', ')})`);
      }
    }
  }
  return problems;
}

function fits(found: PropertyDefinition, kind: string, where: string): string[] {
  if (kind === 'number' && !['number', 'string'].includes(found.type)) return [`${where}: "${found.name}" is of type ${found.type}; a number field needs a number or text property`];
  if (kind === 'datetime' && !['datetime', 'date', 'string'].includes(found.type)) return [`${where}: "${found.name}" is of type ${found.type}; a time needs a date, datetime or text property`];
  if ((kind === 'text' || kind === 'list') && ['number', 'datetime', 'date', 'bool'].includes(found.type)) {
    return [`${where}: "${found.name}" is of type ${found.type}; a text field needs a text or enumeration property`];
  }
  return [];
}
