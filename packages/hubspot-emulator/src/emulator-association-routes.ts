/** v4 association endpoints: read an object's associations, and create the default association. */
import { HubSpotApiError } from './emulator-error.js';
import type { ObjectStore } from './emulator-object-store.js';
import { associationBetween, requireObjectType } from './emulator-object-types.js';
import { objectsRead, objectsWrite } from './emulator-object-routes.js';
import type { Route } from './emulator-router.js';

export function associationRoutes(store: ObjectStore, clock: () => number): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType',
      limitClass: 'standard',
      scope: objectsRead,
      handle: ({ params }) => {
        const fromType = requireObjectType(params.objectType);
        const toType = requireObjectType(params.toObjectType);
        const fromId = params.objectId ?? '';
        if (!store.get(fromType, fromId)) throw HubSpotApiError.notFound();
        const definition = associationBetween(fromType, toType);
        const ids = definition ? store.associations.targets(fromType, fromId, toType) : [];
        return {
          status: 200,
          body: {
            results: ids.map((toId) => ({
              // HubSpot sends v4 object ids as numbers.
              toObjectId: Number(toId),
              associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: definition?.typeId, label: null }],
            })),
          },
        };
      },
    },
    {
      method: 'PUT',
      pattern: '/crm/v4/objects/:fromObjectType/:fromObjectId/associations/default/:toObjectType/:toObjectId',
      limitClass: 'standard',
      scope: objectsWrite,
      handle: ({ params }) => {
        const fromType = requireObjectType(params.fromObjectType);
        const toType = requireObjectType(params.toObjectType);
        const definition = associationBetween(fromType, toType);
        if (!definition) {
          throw HubSpotApiError.validation(`No default association from ${fromType} to ${toType} in this emulator.`);
        }
        const fromId = params.fromObjectId ?? '';
        const toId = params.toObjectId ?? '';
        const startedAt = new Date(clock()).toISOString();
        store.associate(fromType, fromId, toType, toId);
        return {
          status: 200,
          body: {
            status: 'COMPLETE',
            results: [
              {
                from: { id: fromId },
                to: { id: toId },
                associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: definition.typeId },
              },
            ],
            startedAt,
            completedAt: new Date(clock()).toISOString(),
          },
        };
      },
    },
  ];
}
