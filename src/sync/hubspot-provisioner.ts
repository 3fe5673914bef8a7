import { Injectable } from '@nestjs/common';
import { DEFAULT_OUTCOMES } from '../mapping/hubspot-call-outcomes.js';
import { type ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { AppLogger } from '../logging/app-logger.js';
import {
  callPropertyDefinitions,
  connectorPropertyNames,
  contactPropertyDefinitions,
  optionalCallProperties,
} from '../mapping/connector-properties.js';
import { resolveOutcome } from '../mapping/hubspot-write-plan.js';
import { sourceKind } from '../mapping/source-fields.js';
import { HubSpotPermanentError } from '../hubspot/hubspot-errors.js';
import {
  InjectHubSpot,
  type HubSpotObjectType,
  type HubSpotPort,
  type PropertyDefinition,
  type PropertyOption,
} from '../hubspot/hubspot.port.js';

/**
 * HubSpot's limit on the options of one enumeration property (knowledge base, "Property field types": up to 5,000
 * options; hubspot.md "Hard limits"). Values beyond it are written as text (see `callWrite`'s `unlisted`).
 */
export const MAX_ENUMERATION_OPTIONS = 5_000;
/** After HubSpot refused to create an optional property, how long before asking again. */
const RETRY_REFUSED_PROPERTIES_MS = 10 * 60_000;

export interface ProvisioningReport {
  created: string[];
  existing: string[];
  /** Properties that exist with the wrong type or flags, or that HubSpot refused to create: reported by name. */
  problems: string[];
  /** Optional properties HubSpot refused to create: calls are written without them. */
  skipped: string[];
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
@Injectable()
export class HubSpotProvisioner {
  /** Known options of enumeration properties, `objectType.name` → values. */
  private readonly options = new Map<string, Set<string>>();
  private readyFor: ConnectorSettings | null = null;
  private readyUntil = Number.POSITIVE_INFINITY;
  private outcomes = new Map<string, string>();
  /** Values that are not options and could not become ones (limit, refusal), per property: no request for them again. */
  private readonly unlistedValues = new Map<string, Set<string>>();
  /** `objectType.name` of optional properties HubSpot refused to create: left out of every write. */
  private readonly missing = new Set<string>();
  /** What an admin should know although sync goes on (an option limit reached, a property HubSpot refused). */
  readonly warnings = new Map<string, string>();

  constructor(
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    private readonly logger: AppLogger,
  ) {}

  get isProvisioned(): boolean {
    return this.readyFor !== null;
  }

  /** Portal outcome labels (lowercase) → GUIDs, as of the last provisioning. */
  get outcomeIds(): Map<string, string> {
    return this.outcomes;
  }

  /**
   * Provisions and checks, once per mapping (again after a reload, after `invalidate()`, and a while after HubSpot
   * refused an optional property). Throws `ProvisioningError` on problems.
   */
  async ensureReady(settings: ConnectorSettings, now = Date.now()): Promise<void> {
    if (this.readyFor === settings && now < this.readyUntil) return;
    await this.provision(settings, now);
  }

  /** The portal changed under the connector (a property deleted): provision again before the next write. */
  invalidate(): void {
    this.readyFor = null;
  }

  /** The options of an enumeration were changed by someone else (one removed): read them again before relying on them. */
  forgetOptions(): void {
    this.options.clear();
    this.unlistedValues.clear();
    this.invalidate();
  }

  /** The properties of a write that exist: optional ones HubSpot refused to create are left out. */
  writable(objectType: HubSpotObjectType, properties: Record<string, string>): Record<string, string> {
    if (this.missing.size === 0) return properties;
    return Object.fromEntries(
      Object.entries(properties).filter(([name]) => !this.missing.has(`${objectType}.${name}`)),
    );
  }

  async provision(settings: ConnectorSettings, now = Date.now()): Promise<ProvisioningReport> {
    try {
      return await this.provisionOnce(settings, now);
    } catch (error) {
      // A deterministic refusal of a read or of the group: the portal does not take this set-up. Reported by name
      // (health `misconfigured`), and looked at again on the next probe, never taken for an outage.
      if (error instanceof HubSpotPermanentError)
        throw new ProvisioningError([
          `HubSpot refused a set-up request: ${error.message}${error.category ? ` (${error.category})` : ''}`,
        ]);
      throw error;
    }
  }

  private async provisionOnce(settings: ConnectorSettings, now: number): Promise<ProvisioningReport> {
    const names = connectorPropertyNames(settings);
    const report: ProvisioningReport = { created: [], existing: [], problems: [], skipped: [] };
    const view = await this.readPortal();
    const optional = new Set([...optionalCallProperties(names)].map((name) => `calls.${name}`));
    this.missing.clear();
    this.unlistedValues.clear();
    // Warnings are found again: a limit still reached is reported again by the next write that meets it.
    this.warnings.clear();
    await this.provisionObject('contacts', contactPropertyDefinitions(names), view, report, names.group, optional);
    await this.provisionObject('calls', callPropertyDefinitions(names, settings), view, report, names.group, optional);
    report.problems.push(...checkMapping(settings, view));
    if (report.problems.length > 0) throw new ProvisioningError(report.problems);
    this.outcomes = view.outcomes;
    this.readyFor = settings;
    this.readyUntil = report.skipped.length > 0 ? now + RETRY_REFUSED_PROPERTIES_MS : Number.POSITIVE_INFINITY;
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

  /**
   * Adds the values that are not yet options of an enumeration property the connector owns, before they are
   * written. Answers the values that are not options and cannot become ones: beyond HubSpot's 5,000 options, or
   * refused by HubSpot. The caller writes those as text; a refusal never stops the calls that carry them.
   */
  async ensureOptions(objectType: HubSpotObjectType, name: string, values: Iterable<string>): Promise<Set<string>> {
    const key = `${objectType}.${name}`;
    const known = this.options.get(key);
    if (!known || this.missing.has(key)) return new Set(); // not an enumeration the connector writes
    const remembered = this.unlistedValues.get(key) ?? new Set<string>();
    const unique = [...new Set(values)];
    const missing = unique.filter((value) => !known.has(value) && !remembered.has(value));
    if (missing.length === 0) return new Set(unique.filter((value) => remembered.has(value)));
    // Re-read first: PATCH replaces the whole list, and someone may have added or removed options since.
    const current = (await this.hubspot.listProperties(objectType)).find((property) => property.name === name);
    const existing = current?.options ?? [];
    const existingValues = new Set(existing.map((option) => option.value));
    const wanted = missing.filter((value) => !existingValues.has(value));
    const room = Math.max(0, MAX_ENUMERATION_OPTIONS - existing.length);
    const added: PropertyOption[] = wanted
      .slice(0, room)
      .map((value, index) => ({ label: value, value, displayOrder: existing.length + index, hidden: false }));
    const unlisted = new Set(wanted.slice(room));
    if (added.length > 0) {
      try {
        await this.hubspot.updatePropertyOptions(objectType, name, [...existing, ...added]);
        this.logger.info({ property: key, added: added.length }, 'HubSpot enumeration options added');
      } catch (error) {
        if (!(error instanceof HubSpotPermanentError)) throw error;
        for (const option of added) unlisted.add(option.value);
        this.warnings.set(
          `options:${key}`,
          `HubSpot refused new options for ${key} (${error.message}); ${unlisted.size} value(s) were written to the unlisted-values property instead`,
        );
        this.logger.warn(
          { property: key, status: error.status, category: error.category, values: unlisted.size },
          'HubSpot refused new enumeration options; values written as text',
        );
      }
    }
    if (unlisted.size > 0 && room < wanted.length) {
      this.warnings.set(
        `options:${key}`,
        `${key} has reached HubSpot's limit of ${MAX_ENUMERATION_OPTIONS} options; new values are written to the unlisted-values property (remove unused options in HubSpot to make room)`,
      );
      this.logger.warn(
        { property: key, limit: MAX_ENUMERATION_OPTIONS, values: unlisted.size },
        'HubSpot option limit reached; values written as text',
      );
    }
    this.options.set(key, new Set([...existingValues, ...missing.filter((value) => !unlisted.has(value))]));
    if (unlisted.size > 0) {
      this.unlistedValues.set(key, new Set([...remembered, ...unlisted]));
      // Look again in a while: an admin may free options, or HubSpot take them.
      this.readyUntil = Math.min(this.readyUntil, Date.now() + RETRY_REFUSED_PROPERTIES_MS);
    }
    return new Set([...unlisted, ...unique.filter((value) => remembered.has(value))]);
  }

  private async readPortal(): Promise<PortalView> {
    const [contacts, calls, outcomes] = await Promise.all([
      this.hubspot.listProperties('contacts'),
      this.hubspot.listProperties('calls'),
      portalOutcomes(this.hubspot),
    ]);
    return {
      properties: {
        contacts: new Map(contacts.map((p) => [p.name, p])),
        calls: new Map(calls.map((p) => [p.name, p])),
      },
      outcomes,
    };
  }

  private async provisionObject(
    objectType: HubSpotObjectType,
    wanted: PropertyDefinition[],
    view: PortalView,
    report: ProvisioningReport,
    group: string,
    optional: Set<string>,
  ): Promise<void> {
    const existing = view.properties[objectType];
    const missing = wanted.filter((definition) => !existing.has(definition.name));
    if (missing.length > 0) await this.hubspot.ensurePropertyGroup(objectType, group, 'AI calls');
    // Independent creates: sent together (the limiter still paces them). A refusal (the portal's custom-property
    // cap, its ten unique-value properties) is about that property alone.
    const refusals = new Map<string, HubSpotPermanentError>();
    const create = async (definition: PropertyDefinition): Promise<void> => {
      try {
        await this.hubspot.createProperty(objectType, definition);
      } catch (error) {
        if (!(error instanceof HubSpotPermanentError)) throw error;
        refusals.set(definition.name, error);
      }
    };
    // Those the connector cannot work without first, so that a portal near its cap spends its room on them.
    const isOptional = (definition: PropertyDefinition) => optional.has(`${objectType}.${definition.name}`);
    for (const definition of missing.filter((candidate) => !isOptional(candidate))) await create(definition);
    await Promise.all(missing.filter(isOptional).map(create));
    for (const definition of wanted) {
      const name = `${objectType}.${definition.name}`;
      const found = existing.get(definition.name);
      const refused = refusals.get(definition.name);
      if (refused) {
        const reason = `HubSpot refused to create ${name}: ${refused.message}`;
        if (optional.has(name)) {
          this.missing.add(name);
          report.skipped.push(name);
          this.warnings.set(`property:${name}`, `${reason}; calls are written without it`);
          this.logger.warn(
            { property: name, status: refused.status, category: refused.category },
            'HubSpot refused an optional property; calls are written without it',
          );
        } else {
          report.problems.push(
            `${reason}${definition.hasUniqueValue ? ' (a portal has at most 10 unique-value properties per object: free one, or set hubspot.uniquePhoneProperty to an existing unique property)' : ' (the connector cannot write calls without it)'}`,
          );
        }
        continue;
      }
      if (!found) {
        existing.set(definition.name, definition);
        report.created.push(name);
        if (definition.type === 'enumeration') this.options.set(name, new Set());
        continue;
      }
      const problem = mismatch(definition, found);
      if (problem) report.problems.push(`${name} ${problem}`);
      else report.existing.push(name);
      if (found.type === 'enumeration')
        this.options.set(name, new Set((found.options ?? []).map((option) => option.value)));
    }
  }
}

function mismatch(wanted: PropertyDefinition, found: PropertyDefinition): string | null {
  if (found.type !== wanted.type) return `is of type ${found.type}; the connector needs ${wanted.type}`;
  if (wanted.type === 'enumeration' && found.fieldType !== wanted.fieldType) {
    return `is a ${found.fieldType} field; the connector needs ${wanted.fieldType}`;
  }
  if (wanted.hasUniqueValue && !found.hasUniqueValue)
    return 'does not require unique values; the connector needs a unique property';
  return null;
}

/** The admin's mappings against the portal: each named property exists, fits its values, and static values are options. */
function checkMapping(settings: ConnectorSettings, view: PortalView): string[] {
  const problems: string[] = [];
  const property = (objectType: HubSpotObjectType, name: string, where: string): PropertyDefinition | null => {
    const found = view.properties[objectType].get(name);
    if (!found)
      problems.push(`${where}: HubSpot has no ${objectType === 'contacts' ? 'contact' : 'call'} property "${name}"`);
    return found ?? null;
  };
  for (const mapping of settings.contact.properties) {
    const found = property('contacts', mapping.property, `${mapping.origin}.property`);
    if (found && mapping.source)
      problems.push(...fits(found, sourceKind(mapping.source), `${mapping.origin}.property`));
  }
  for (const mapping of settings.call.properties) {
    const found = property('calls', mapping.property, `${mapping.origin}.property`);
    if (found && mapping.source)
      problems.push(...fits(found, sourceKind(mapping.source), `${mapping.origin}.property`));
  }
  for (const answer of settings.answers)
    property(answer.to === 'contact' ? 'contacts' : 'calls', answer.property, `${answer.origin}.property`);
  if (settings.contact.lifecycleStage) {
    const stage = view.properties.contacts.get('lifecyclestage');
    if (stage && !(stage.options ?? []).some((option) => option.value === settings.contact.lifecycleStage)) {
      problems.push(
        `contact.lifecycleStage: "${settings.contact.lifecycleStage}" is not a lifecycle stage of this portal (${(stage.options ?? []).map((option) => option.value).join(', ')})`,
      );
    }
  }
  for (const [vendor, vendorSettings] of Object.entries(settings.vendors)) {
    for (const [code, entry] of Object.entries(vendorSettings.intentions)) {
      if (entry.outcome && !resolveOutcome(entry.outcome, view.outcomes)) {
        const known = [...Object.keys(DEFAULT_OUTCOMES), ...[...view.outcomes.keys()].map((label) => `"${label}"`)];
        problems.push(
          `vendors.${vendor}.intentions.${code}.outcome: "${entry.outcome}" is not a call outcome of this portal (${known.join(', ')})`,
        );
      }
    }
  }
  return problems;
}

function fits(found: PropertyDefinition, kind: string, where: string): string[] {
  if (kind === 'number' && !['number', 'string'].includes(found.type))
    return [`${where}: "${found.name}" is of type ${found.type}; a number field needs a number or text property`];
  if (kind === 'datetime' && !['datetime', 'date', 'string'].includes(found.type))
    return [`${where}: "${found.name}" is of type ${found.type}; a time needs a date, datetime or text property`];
  if ((kind === 'text' || kind === 'list') && ['number', 'datetime', 'date', 'bool'].includes(found.type)) {
    return [`${where}: "${found.name}" is of type ${found.type}; a text field needs a text or enumeration property`];
  }
  return [];
}
