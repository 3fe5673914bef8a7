/**
 * The portal's CRM records: single-object create, update, upsert and archive with HubSpot's validation, unique
 * values, calculated phone properties and associations. Batch endpoints are built on these in the routes.
 *
 * Each write replaces an object's `properties` with a new object instead of mutating it, so the search index can
 * keep the previous object as the snapshot it still answers from during the index lag.
 */
import { AssociationGraph, type SavedAssociation } from './emulator-association-graph.js';
import { HubSpotApiError } from './emulator-error.js';
import {
  CRM_OBJECT_TYPES,
  OBJECT_TYPE_INFO,
  associationByTypeId,
  type CrmObjectType,
} from './emulator-object-types.js';
import { ownValue } from './emulator-own-value.js';
import { SEARCHABLE_PHONE_PROPERTIES, searchablePhoneNumber } from './emulator-phone-normalizer.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import { problem, validatePropertyValues, type PropertyWritePolicy } from './emulator-property-value-validator.js';
import { SearchIndex } from './emulator-search-index.js';

export type ObjectProperties = Readonly<Record<string, string>>;

export interface StoredObject {
  readonly id: string;
  readonly properties: ObjectProperties;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface AssociationTarget {
  toType: CrmObjectType;
  toId: string;
}

export interface SavedObjectStore {
  nextId: number;
  objects: Record<string, StoredObject[]>;
  associations: SavedAssociation[];
}

export interface CreateOptions {
  /** Properties the created record must have (the portal's validation rules on 2026-09; see PortalValidationRules). */
  requiredProperties?: readonly string[];
}

export interface ObjectPage {
  objects: StoredObject[];
  nextAfter: string | undefined;
}

const FIRST_ID = 10_001;

export class ObjectStore {
  readonly associations = new AssociationGraph();
  private readonly objects = new Map<CrmObjectType, Map<string, StoredObject>>();
  /** Numeric ids in creation order (ascending), for cursor paging of list endpoints. */
  private readonly orderedIds = new Map<CrmObjectType, number[]>();
  /** type → unique property → normalised value → id; consistent at once, unlike search. */
  private readonly uniqueIndexes = new Map<CrmObjectType, Map<string, Map<string, string>>>();
  private readonly searchIndexes = new Map<CrmObjectType, SearchIndex>();
  private nextId = FIRST_ID;

  constructor(
    private readonly registry: PropertyRegistry,
    private readonly clock: () => number,
    searchLagMs: number,
    private readonly onChange: () => void,
    /** Read on every write, so that settings changed at runtime apply at once. */
    private readonly writePolicy: () => PropertyWritePolicy = () => ({}),
  ) {
    for (const objectType of CRM_OBJECT_TYPES) {
      this.objects.set(objectType, new Map());
      this.orderedIds.set(objectType, []);
      this.uniqueIndexes.set(objectType, new Map());
      this.searchIndexes.set(
        objectType,
        new SearchIndex(
          (id) => this.objectsOf(objectType).get(id)?.properties,
          (property) => {
            const type = registry.typeOf(objectType, property);
            return type === 'string' || type === 'enumeration' || type === 'bool';
          },
          searchLagMs,
        ),
      );
    }
  }

  searchIndex(objectType: CrmObjectType): SearchIndex {
    const index = this.searchIndexes.get(objectType);
    if (!index) throw new Error(`No search index for ${objectType}`);
    return index;
  }

  setSearchLag(lagMs: number): void {
    for (const index of this.searchIndexes.values()) index.setLag(lagMs);
  }

  count(objectType: CrmObjectType): number {
    return this.objectsOf(objectType).size;
  }

  get(objectType: CrmObjectType, id: string): StoredObject | undefined {
    return this.objectsOf(objectType).get(id);
  }

  all(objectType: CrmObjectType): IterableIterator<StoredObject> {
    return this.objectsOf(objectType).values();
  }

  isUniqueIdProperty(objectType: CrmObjectType, property: string): boolean {
    return this.registry.get(objectType, property)?.hasUniqueValue === true;
  }

  findByUnique(objectType: CrmObjectType, property: string, value: string): StoredObject | undefined {
    const id = this.uniqueIndex(objectType, property).get(uniqueKey(property, value));
    return id === undefined ? undefined : this.get(objectType, id);
  }

  /** Looks an object up by id, or by a unique property when `idProperty` names one (HubSpot's `idProperty`). */
  resolve(objectType: CrmObjectType, idOrValue: string, idProperty?: string): StoredObject | undefined {
    if (!idProperty || idProperty === 'hs_object_id') return this.get(objectType, idOrValue);
    if (!this.isUniqueIdProperty(objectType, idProperty)) {
      throw HubSpotApiError.validation(
        `${idProperty} is not a unique property; idProperty must be hs_object_id or a property with unique values.`,
      );
    }
    return this.findByUnique(objectType, idProperty, idOrValue);
  }

  list(objectType: CrmObjectType, after: string | undefined, limit: number): ObjectPage {
    const ids = this.orderedIds.get(objectType) ?? [];
    const afterId = after === undefined || after === '' ? -Infinity : Number(after);
    if (Number.isNaN(afterId)) throw HubSpotApiError.validation(`Invalid "after" cursor: ${after}`);
    const objects: StoredObject[] = [];
    let position = firstGreaterThan(ids, afterId);
    while (position < ids.length && objects.length < limit) {
      const object = this.get(objectType, String(ids[position]));
      if (object) objects.push(object);
      position += 1;
    }
    const last = objects.at(-1);
    return { objects, nextAfter: position < ids.length && last ? last.id : undefined };
  }

  create(
    objectType: CrmObjectType,
    properties: unknown,
    associations?: unknown,
    options: CreateOptions = {},
  ): StoredObject {
    const targets = this.parseAssociations(objectType, associations);
    return this.write(objectType, undefined, properties, targets, options.requiredProperties);
  }

  update(objectType: CrmObjectType, id: string, properties: unknown): StoredObject {
    const existing = this.get(objectType, id);
    if (!existing) throw HubSpotApiError.notFound();
    return this.write(objectType, existing, properties, []);
  }

  /** Create-or-update keyed by a unique property; the caller has checked that `idProperty` is unique. */
  upsert(
    objectType: CrmObjectType,
    idProperty: string,
    idValue: string,
    properties: unknown,
    options: CreateOptions = {},
  ): { object: StoredObject; created: boolean } {
    const existing = this.findByUnique(objectType, idProperty, idValue);
    if (existing) return { object: this.write(objectType, existing, properties, []), created: false };
    const withKey = isPlainObject(properties) ? { ...properties, [idProperty]: idValue } : { [idProperty]: idValue };
    return { object: this.write(objectType, undefined, withKey, [], options.requiredProperties), created: true };
  }

  archive(objectType: CrmObjectType, id: string): boolean {
    const existing = this.get(objectType, id);
    if (!existing) return false;
    this.indexUniqueValues(objectType, id, existing.properties, {});
    this.objectsOf(objectType).delete(id);
    const ids = this.orderedIds.get(objectType) ?? [];
    const position = firstGreaterThan(ids, Number(id) - 1);
    if (ids[position] === Number(id)) ids.splice(position, 1);
    this.associations.unlinkAll(objectType, id);
    this.searchIndex(objectType).noteWrite(id, this.clock());
    this.onChange();
    return true;
  }

  /**
   * Merges `mergedId` into `primaryId`, as a user merging two records in HubSpot does (hubspot.md, "When the portal
   * changes under the connector"): the merged record is removed (its id no longer reads), its id is added to the
   * primary's `hs_merged_object_ids`, its associations move to the primary, and the primary's empty properties are
   * filled from it (the primary keeps its own values, unique ones included). The caller checks both ids exist.
   */
  merge(objectType: CrmObjectType, primaryId: string, mergedId: string): StoredObject {
    const primary = this.get(objectType, primaryId);
    const merged = this.get(objectType, mergedId);
    if (!primary || !merged || primaryId === mergedId)
      throw new Error('merge: two different existing objects are needed');
    const next: Record<string, string> = { ...primary.properties };
    for (const [name, value] of Object.entries(merged.properties)) {
      const definition = this.registry.get(objectType, name);
      // System and calculated values (ids, dates, searchable phones) are the primary's or derived again.
      if (!definition || definition.readOnlyValue || value === '') continue;
      if (ownValue(next, name) === undefined || ownValue(next, name) === '') next[name] = value;
    }
    const mergedIds = [
      ...splitIds(primary.properties.hs_merged_object_ids),
      ...splitIds(merged.properties.hs_merged_object_ids),
      mergedId,
    ];
    next.hs_merged_object_ids = [...new Set(mergedIds)].join(';');
    const moved: AssociationTarget[] = CRM_OBJECT_TYPES.flatMap((toType) =>
      this.associations.targets(objectType, mergedId, toType).map((toId) => ({ toType, toId })),
    );
    // Removing the merged record first frees its unique values for the primary.
    this.archive(objectType, mergedId);
    if (objectType === 'contacts') deriveSearchablePhones(next);
    return this.commit(objectType, primary, next, moved);
  }

  /** Adds an association between existing objects (v4 "default" association). */
  associate(fromType: CrmObjectType, fromId: string, toType: CrmObjectType, toId: string): void {
    if (!this.get(fromType, fromId))
      throw HubSpotApiError.notFound(`${OBJECT_TYPE_INFO[fromType].singularLabel} ${fromId} not found`);
    if (!this.get(toType, toId))
      throw HubSpotApiError.notFound(`${OBJECT_TYPE_INFO[toType].singularLabel} ${toId} not found`);
    this.associations.link(fromType, fromId, toType, toId);
    this.onChange();
  }

  /** Inserts an object as if it had existed for long: no lag before search sees it. */
  seed(objectType: CrmObjectType, properties: unknown): StoredObject {
    const object = this.create(objectType, properties);
    this.searchIndex(objectType).makeVisible(object.id);
    return object;
  }

  clear(): void {
    for (const objectType of CRM_OBJECT_TYPES) {
      this.objectsOf(objectType).clear();
      this.orderedIds.set(objectType, []);
      this.uniqueIndexes.set(objectType, new Map());
      this.searchIndex(objectType).clear();
    }
    this.associations.clear();
    this.nextId = FIRST_ID;
  }

  exportState(): SavedObjectStore {
    const objects: Record<string, StoredObject[]> = {};
    for (const objectType of CRM_OBJECT_TYPES) objects[objectType] = [...this.all(objectType)];
    return { nextId: this.nextId, objects, associations: this.associations.exportState() };
  }

  importState(saved: SavedObjectStore): void {
    this.clear();
    let maxId = FIRST_ID - 1;
    for (const objectType of CRM_OBJECT_TYPES) {
      const ids: number[] = [];
      for (const object of saved.objects[objectType] ?? []) {
        this.objectsOf(objectType).set(object.id, object);
        this.indexUniqueValues(objectType, object.id, {}, object.properties);
        ids.push(Number(object.id));
        maxId = Math.max(maxId, Number(object.id));
        this.searchIndex(objectType).makeVisible(object.id);
      }
      this.orderedIds.set(
        objectType,
        ids.sort((a, b) => a - b),
      );
    }
    for (const link of saved.associations ?? []) {
      if (this.get(link.fromType, link.fromId) && this.get(link.toType, link.toId)) {
        this.associations.link(link.fromType, link.fromId, link.toType, link.toId);
      }
    }
    this.nextId = Math.max(saved.nextId ?? FIRST_ID, maxId + 1);
  }

  private write(
    objectType: CrmObjectType,
    existing: StoredObject | undefined,
    rawProperties: unknown,
    associationTargets: AssociationTarget[],
    requiredByRules: readonly string[] = [],
  ): StoredObject {
    const info = OBJECT_TYPE_INFO[objectType];
    const { changes, problems } = validatePropertyValues(
      this.registry,
      objectType,
      rawProperties,
      existing?.properties,
      this.writePolicy(),
    );
    const next: Record<string, string> = existing ? { ...existing.properties } : {};
    for (const [name, value] of changes) {
      if (value === null) delete next[name];
      else next[name] = value;
    }
    for (const required of info.requiredProperties) {
      if (ownValue(next, required) === undefined && !problems.some((entry) => entry.name === required)) {
        // The error code is an assumption; HubSpot documents hs_timestamp as required, not the exact error.
        problems.push(problem(required, 'REQUIRED_PROPERTY', `Property "${required}" is required.`));
      }
    }
    // Portal validation rules (2026-09 creates only; the callers decide). HubSpot's exact error is unconfirmed:
    // the emulator answers the usual "Property values were not valid" with REQUIRED_PROPERTY entries and names the
    // properties in the error's context.propertyName.
    const missingByRules: string[] = [];
    for (const required of requiredByRules) {
      if (ownValue(next, required) !== undefined || problems.some((entry) => entry.name === required)) continue;
      missingByRules.push(required);
      problems.push(
        problem(required, 'REQUIRED_PROPERTY', `Property "${required}" is required by this portal's validation rules.`),
      );
    }
    if (problems.length > 0) {
      throw HubSpotApiError.invalidPropertyValues(
        problems,
        missingByRules.length > 0 ? { propertyName: missingByRules } : undefined,
      );
    }
    if (objectType === 'contacts') deriveSearchablePhones(next);

    const id = existing?.id ?? String(this.nextId);
    for (const property of this.registry.uniqueNames(objectType)) {
      const value = ownValue(next, property);
      if (value === undefined || value === ownValue(existing?.properties, property)) continue;
      const ownerId = this.uniqueIndex(objectType, property).get(uniqueKey(property, value));
      if (ownerId !== undefined && ownerId !== id) {
        throw HubSpotApiError.conflict(`${info.singularLabel} already exists. Existing ID: ${ownerId}`);
      }
    }
    return this.commit(objectType, existing, next, associationTargets);
  }

  /** Stores validated properties: ids, dates, unique index, ordering, associations and the search index. */
  private commit(
    objectType: CrmObjectType,
    existing: StoredObject | undefined,
    next: Record<string, string>,
    associationTargets: AssociationTarget[],
  ): StoredObject {
    const info = OBJECT_TYPE_INFO[objectType];
    const id = existing?.id ?? String(this.nextId);
    const now = this.clock();
    if (!existing) this.nextId += 1;
    const createdAt = existing?.createdAt ?? now;
    next.hs_object_id = id;
    next[info.createdDateProperty] = new Date(createdAt).toISOString();
    next[info.modifiedDateProperty] = new Date(now).toISOString();
    const stored: StoredObject = { id, properties: next, createdAt, updatedAt: now };

    this.indexUniqueValues(objectType, id, existing?.properties ?? {}, next);
    this.objectsOf(objectType).set(id, stored);
    if (!existing) this.orderedIds.get(objectType)?.push(Number(id));
    for (const target of associationTargets) this.associations.link(objectType, id, target.toType, target.toId);
    this.searchIndex(objectType).noteWrite(id, now);
    this.onChange();
    return stored;
  }

  /** Validates inline `associations: [{to:{id}, types:[{associationCategory, associationTypeId}]}]`. */
  private parseAssociations(objectType: CrmObjectType, raw: unknown): AssociationTarget[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) throw HubSpotApiError.validation('Invalid input: "associations" must be an array.');
    return raw.map((entry: unknown, position): AssociationTarget => {
      const to = isPlainObject(entry) && isPlainObject(entry.to) ? entry.to.id : undefined;
      const types = isPlainObject(entry) ? entry.types : undefined;
      if ((typeof to !== 'string' && typeof to !== 'number') || String(to) === '') {
        throw HubSpotApiError.validation(`Invalid input: associations[${position}].to.id is required.`);
      }
      if (!Array.isArray(types) || types.length === 0) {
        throw HubSpotApiError.validation(`Invalid input: associations[${position}].types must be a non-empty array.`);
      }
      let toType: CrmObjectType | undefined;
      for (const spec of types as unknown[]) {
        const category = isPlainObject(spec) ? spec.associationCategory : undefined;
        const typeId = isPlainObject(spec) ? spec.associationTypeId : undefined;
        const definition =
          category === 'HUBSPOT_DEFINED' && typeof typeId === 'number'
            ? associationByTypeId(objectType, typeId)
            : undefined;
        if (!definition || (toType !== undefined && toType !== definition.to)) {
          throw HubSpotApiError.validation(
            `Invalid association type ${String(category)}/${String(typeId)} from ${objectType} in associations[${position}].`,
          );
        }
        toType = definition.to;
      }
      const toId = String(to);
      if (toType === undefined || !this.get(toType, toId)) {
        // Unconfirmed (hubspot.md, "When the portal changes under the connector": a 400 or 404 is likely): the
        // emulator answers 400 naming the id in the message and in context.invalidIds, per input in a batch. A
        // deleted or merged-away contact is simply one that does not exist.
        throw HubSpotApiError.validation(
          `One or more associations are invalid: ${toType ? OBJECT_TYPE_INFO[toType].singularLabel : 'object'} ${toId} does not exist.`,
          { context: { invalidIds: [toId] } },
        );
      }
      return { toType, toId };
    });
  }

  private indexUniqueValues(
    objectType: CrmObjectType,
    id: string,
    before: ObjectProperties,
    after: ObjectProperties,
  ): void {
    for (const property of this.registry.uniqueNames(objectType)) {
      const oldValue = ownValue(before, property);
      const newValue = ownValue(after, property);
      if (oldValue === newValue) continue;
      const index = this.uniqueIndex(objectType, property);
      if (oldValue !== undefined && index.get(uniqueKey(property, oldValue)) === id)
        index.delete(uniqueKey(property, oldValue));
      if (newValue !== undefined) index.set(uniqueKey(property, newValue), id);
    }
  }

  private uniqueIndex(objectType: CrmObjectType, property: string): Map<string, string> {
    const byProperty = this.uniqueIndexes.get(objectType);
    if (!byProperty) throw new Error(`No unique index for ${objectType}`);
    let index = byProperty.get(property);
    if (!index) {
      index = new Map();
      byProperty.set(property, index);
    }
    return index;
  }

  private objectsOf(objectType: CrmObjectType): Map<string, StoredObject> {
    const objects = this.objects.get(objectType);
    if (!objects) throw new Error(`No object map for ${objectType}`);
    return objects;
  }
}

/** Emails are unique regardless of case (HubSpot lowercases them); custom unique values compare exactly. */
function uniqueKey(property: string, value: string): string {
  return property === 'email' ? value.trim().toLowerCase() : value;
}

function deriveSearchablePhones(properties: Record<string, string>): void {
  for (const [source, calculated] of SEARCHABLE_PHONE_PROPERTIES) {
    const raw = ownValue(properties, source);
    const derived = raw === undefined ? undefined : searchablePhoneNumber(raw);
    if (derived === undefined) delete properties[calculated];
    else properties[calculated] = derived;
  }
}

function splitIds(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(';').filter((id) => id !== '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Index of the first element greater than `value` in an ascending array. */
function firstGreaterThan(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? Infinity) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
