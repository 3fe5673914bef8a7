/**
 * `/crm/v3/objects/{objectType}/batch/read|create|update|upsert` (also `/crm/objects/{version}/...`). Problems
 * with the request as a whole (too many inputs, duplicate ids, a non-unique idProperty) fail it with 400;
 * problems with single inputs are reported per input while the other inputs are written: in a 207 on v3 and
 * 2026-03, folded into the normal 200/201 body on 2026-09. Errors carry the input's `objectWriteTraceId` in
 * their context so clients can match them.
 */
import type { ApiVersion } from './emulator-api-versions.js';
import { HubSpotApiError } from './emulator-error.js';
import type { ObjectStore, StoredObject } from './emulator-object-store.js';
import { OBJECT_TYPE_INFO, requireObjectType, type CrmObjectType } from './emulator-object-types.js';
import { presentObject } from './emulator-object-presenter.js';
import { objectsRead, objectsWrite, requireBodyObject } from './emulator-object-routes.js';
import type { Route, RouteResponse } from './emulator-router.js';
import type { PortalValidationRules } from './emulator-validation-rules.js';

export const MAX_BATCH_INPUTS = 100;

type JsonObject = Record<string, unknown>;

interface BatchInput {
  raw: JsonObject;
  id: string | undefined;
  traceId: string | undefined;
}

class BatchCollector {
  readonly results: Record<string, unknown>[] = [];
  readonly errors: Record<string, unknown>[] = [];
  private readonly startedAt: string;

  constructor(private readonly clock: () => number) {
    this.startedAt = new Date(clock()).toISOString();
  }

  fail(error: unknown, input: BatchInput | undefined, ids?: string[]): void {
    if (!(error instanceof HubSpotApiError)) throw error;
    const context: Record<string, string[]> = {};
    if (ids && ids.length > 0) context.ids = ids;
    if (input?.traceId !== undefined) context.objectWriteTraceId = [input.traceId];
    this.errors.push(error.toBatchError(context));
  }

  respond(successStatus: number, apiVersion: ApiVersion): RouteResponse {
    const body: Record<string, unknown> = { status: 'COMPLETE', results: this.results };
    if (this.errors.length > 0) {
      body.numErrors = this.errors.length;
      body.errors = this.errors;
    }
    body.startedAt = this.startedAt;
    body.completedAt = new Date(this.clock()).toISOString();
    if (this.errors.length === 0) return { status: successStatus, body };
    // hubspot.md, "Batch answers on 2026-09": the 2026-09 spec folds errors/numErrors into the normal 200/201 body
    // and no longer lists 207 (whether HubSpot still sends 207 there is unconfirmed; the emulator follows the
    // spec). v3 and 2026-03 answer 207. Assumption: a batch where every input failed answers the same way.
    return { status: apiVersion === '2026-09' ? successStatus : 207, body };
  }
}

export function batchRoutes(store: ObjectStore, rules: PortalValidationRules, clock: () => number): Route[] {
  const present = (objectType: CrmObjectType, object: StoredObject, input: BatchInput, extra: JsonObject = {}) => ({
    ...presentObject(objectType, object.id, object.properties, 'all', { objectWriteTraceId: input.traceId }),
    ...extra,
  });

  return [
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType/batch/create',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params, body, apiVersion }) => {
        const objectType = requireObjectType(params.objectType);
        const inputs = parseInputs(body);
        const requiredProperties = rules.requiredOnCreate(objectType, apiVersion);
        const batch = new BatchCollector(clock);
        for (const input of inputs) {
          try {
            const object = store.create(objectType, input.raw.properties ?? {}, input.raw.associations, {
              requiredProperties,
            });
            batch.results.push(present(objectType, object, input));
          } catch (error) {
            batch.fail(error, input);
          }
        }
        return batch.respond(201, apiVersion);
      },
    },
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType/batch/update',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params, body, apiVersion }) => {
        const objectType = requireObjectType(params.objectType);
        const inputs = parseInputs(body, { requireId: true });
        for (const input of inputs) assertIdProperty(store, objectType, input.raw.idProperty);
        assertNoDuplicateIds(
          inputs.map((input) => `${stringOrUndefined(input.raw.idProperty) ?? ''}\u0000${input.id ?? ''}`),
          inputs,
        );
        const batch = new BatchCollector(clock);
        for (const input of inputs) {
          try {
            const existing = store.resolve(objectType, input.id ?? '', stringOrUndefined(input.raw.idProperty));
            if (!existing) throw notFoundInBatch(objectType);
            const object = store.update(objectType, existing.id, input.raw.properties ?? {});
            batch.results.push(present(objectType, object, input));
          } catch (error) {
            batch.fail(error, input, [input.id ?? '']);
          }
        }
        return batch.respond(200, apiVersion);
      },
    },
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType/batch/upsert',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params, body, apiVersion }) => {
        const objectType = requireObjectType(params.objectType);
        const inputs = parseInputs(body, { requireId: true });
        for (const input of inputs) {
          const idProperty = stringOrUndefined(input.raw.idProperty);
          if (
            idProperty !== undefined &&
            idProperty !== 'hs_object_id' &&
            !store.isUniqueIdProperty(objectType, idProperty)
          ) {
            throw HubSpotApiError.validation(
              `Cannot upsert by non-unique property ${idProperty}: idProperty must be email or a property with hasUniqueValue=true.`,
            );
          }
        }
        assertNoDuplicateIds(
          inputs.map((input) => {
            const idProperty = stringOrUndefined(input.raw.idProperty) ?? 'hs_object_id';
            const id = input.id ?? '';
            return `${idProperty}\u0000${idProperty === 'email' ? id.trim().toLowerCase() : id}`;
          }),
          inputs,
        );
        const requiredProperties = rules.requiredOnCreate(objectType, apiVersion);
        const batch = new BatchCollector(clock);
        for (const input of inputs) {
          try {
            const idProperty = stringOrUndefined(input.raw.idProperty);
            const id = input.id ?? '';
            if (idProperty === undefined || idProperty === 'hs_object_id') {
              // Without a unique idProperty an upsert can only update an existing object by its id.
              if (!store.get(objectType, id)) throw notFoundInBatch(objectType);
              const object = store.update(objectType, id, input.raw.properties ?? {});
              batch.results.push(present(objectType, object, input, { new: false }));
            } else {
              const { object, created } = store.upsert(objectType, idProperty, id, input.raw.properties ?? {}, {
                requiredProperties,
              });
              batch.results.push(present(objectType, object, input, { new: created }));
            }
          } catch (error) {
            batch.fail(error, input, [input.id ?? '']);
          }
        }
        return batch.respond(200, apiVersion);
      },
    },
    {
      method: 'POST',
      pattern: '/crm/v3/objects/:objectType/batch/read',
      limitClass: 'standard',
      scope: objectsRead,
      handle: ({ params, body, apiVersion }) => {
        const objectType = requireObjectType(params.objectType);
        const request = requireBodyObject(body);
        const inputs = parseInputs(body, { requireId: true });
        const idProperty = stringOrUndefined(request.idProperty);
        assertIdProperty(store, objectType, idProperty);
        assertNoDuplicateIds(
          inputs.map((input) => input.id ?? ''),
          inputs,
        );
        const properties = Array.isArray(request.properties)
          ? request.properties.filter((name): name is string => typeof name === 'string')
          : undefined;
        const batch = new BatchCollector(clock);
        const missing: string[] = [];
        for (const input of inputs) {
          const object = store.resolve(objectType, input.id ?? '', idProperty);
          if (object) batch.results.push(presentObject(objectType, object.id, object.properties, properties));
          else missing.push(input.id ?? '');
        }
        // HubSpot reports all missing ids of a batch read in one error.
        if (missing.length > 0) batch.fail(notFoundInBatch(objectType), undefined, missing);
        return batch.respond(200, apiVersion);
      },
    },
  ];
}

function parseInputs(body: unknown, options: { requireId?: boolean } = {}): BatchInput[] {
  const request = requireBodyObject(body);
  if (!Array.isArray(request.inputs))
    throw HubSpotApiError.validation('Invalid input JSON: "inputs" must be an array.');
  if (request.inputs.length > MAX_BATCH_INPUTS) {
    throw HubSpotApiError.validation(
      `Too many inputs: ${request.inputs.length}. A batch may have at most ${MAX_BATCH_INPUTS} inputs.`,
    );
  }
  return request.inputs.map((raw: unknown, position): BatchInput => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw HubSpotApiError.validation(`Invalid input JSON: inputs[${position}] must be an object.`);
    }
    const input = raw as JsonObject;
    const id = typeof input.id === 'number' ? String(input.id) : stringOrUndefined(input.id);
    if (options.requireId && (id === undefined || id === '')) {
      throw HubSpotApiError.validation(`Invalid input JSON: inputs[${position}].id is required.`);
    }
    return { raw: input, id, traceId: stringOrUndefined(input.objectWriteTraceId) };
  });
}

/** hubspot.md: the same id twice fails the whole request. */
function assertNoDuplicateIds(keys: readonly string[], inputs: readonly BatchInput[]): void {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  keys.forEach((key, position) => {
    if (seen.has(key)) duplicates.add(inputs[position]?.id ?? '');
    seen.add(key);
  });
  if (duplicates.size > 0) {
    throw HubSpotApiError.validation(
      `Duplicate IDs found in batch input: [${[...duplicates].join(', ')}]. IDs must be unique`,
    );
  }
}

function assertIdProperty(store: ObjectStore, objectType: CrmObjectType, idProperty: unknown): void {
  if (idProperty === undefined || idProperty === null || idProperty === 'hs_object_id') return;
  if (typeof idProperty !== 'string' || !store.isUniqueIdProperty(objectType, idProperty)) {
    throw HubSpotApiError.validation(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- any JSON value a client sent, printed as HubSpot does
      `${String(idProperty)} is not a unique property; idProperty must be hs_object_id or a property with unique values.`,
    );
  }
}

function notFoundInBatch(objectType: CrmObjectType): HubSpotApiError {
  return HubSpotApiError.notFound(
    `Could not get some ${OBJECT_TYPE_INFO[objectType].upperName} objects, they may be deleted or not exist. Check that ids are valid.`,
  );
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
