/**
 * The portal's own validation rules (required properties of the create-record form, conditional required
 * properties), which HubSpot enforces on API writes from 2026-09 on: a create that worked on v3 can fail with 400
 * VALIDATION_ERROR naming the property (hubspot.md, "Versions and auth"). The emulator models them as a list of
 * required properties per object type, checked only on 2026-09 paths and only when a write creates a record.
 */
import type { ApiVersion } from './emulator-api-versions.js';
import { InvalidControlInput } from './emulator-error.js';
import { CRM_OBJECT_TYPES, resolveObjectType, type CrmObjectType } from './emulator-object-types.js';
import type { PropertyRegistry } from './emulator-property-registry.js';

/** `{"contacts":{"required":["lead_source"]},"calls":{"required":[]}}`; every emulated type is listed. */
export type ValidationRulesReport = Record<CrmObjectType, { required: string[] }>;

const NONE: readonly string[] = [];

export class PortalValidationRules {
  private required = new Map<CrmObjectType, readonly string[]>();

  constructor(private readonly registry: PropertyRegistry) {}

  /** Replaces all rules. Types left out get none; every named property must exist. */
  set(input: unknown): ValidationRulesReport {
    if (!isObject(input)) {
      throw new InvalidControlInput(
        'validation-rules: expected an object like {"contacts":{"required":["lead_source"]}}',
      );
    }
    const next = new Map<CrmObjectType, readonly string[]>();
    for (const [typeName, rule] of Object.entries(input)) {
      const objectType = resolveObjectType(typeName);
      if (!objectType) throw new InvalidControlInput(`validation-rules: unknown object type "${typeName}"`);
      if (!isObject(rule)) throw new InvalidControlInput(`validation-rules.${typeName}: expected {"required":[...]}`);
      for (const key of Object.keys(rule)) {
        if (key !== 'required')
          throw new InvalidControlInput(`validation-rules.${typeName}: unknown key "${key}" (known: required)`);
      }
      const names = rule.required ?? [];
      if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name === '')) {
        throw new InvalidControlInput(`validation-rules.${typeName}.required must be an array of property names`);
      }
      for (const name of names as string[]) {
        if (!this.registry.get(objectType, name)) {
          throw new InvalidControlInput(
            `validation-rules.${typeName}.required: property "${name}" does not exist on ${objectType}; create it first`,
          );
        }
      }
      next.set(objectType, [...new Set([...(next.get(objectType) ?? []), ...(names as string[])])]);
    }
    this.required = next;
    return this.report();
  }

  clear(): void {
    this.required = new Map();
  }

  report(): ValidationRulesReport {
    const report = {} as ValidationRulesReport;
    for (const objectType of CRM_OBJECT_TYPES)
      report[objectType] = { required: [...(this.required.get(objectType) ?? [])] };
    return report;
  }

  /**
   * What a create on `apiVersion` must carry. Only 2026-09 enforces the portal's rules (hubspot.md: "From
   * 2026-09, a portal's own validation rules are enforced on API writes"); v3 and 2026-03 creates are not checked.
   */
  requiredOnCreate(objectType: CrmObjectType, apiVersion: ApiVersion): readonly string[] {
    return apiVersion === '2026-09' ? (this.required.get(objectType) ?? NONE) : NONE;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
