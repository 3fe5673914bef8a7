/**
 * Account-level endpoints: `GET /account-info/v3/details` (and `/account-info/{version}/details`), and the
 * limits-tracking API's `GET /crm/v3/limits/custom-properties` (and `/crm/limits/{version}/custom-properties`).
 */
import { objectsRead } from './emulator-object-routes.js';
import { CRM_OBJECT_TYPES, OBJECT_TYPE_INFO } from './emulator-object-types.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { EmulatorRateLimiter } from './emulator-rate-limiter.js';
import type { Route } from './emulator-router.js';

export const DEFAULT_PORTAL_ID = 12_345_678;

const PLURAL_LABELS: Readonly<Record<string, string>> = { contacts: 'Contacts', calls: 'Calls' };

export function accountRoutes(
  portalId: number,
  registry: PropertyRegistry,
  limits: Pick<EmulatorRateLimiter, 'limit'>,
): Route[] {
  return [
    {
      // Account information API (https://developers.hubspot.com/docs/api-reference/latest/account/account-information/get-account-details):
      // its only scope is `oauth`, which every token has, so a valid token is enough. The emulator's account is
      // on UTC, matching its daily-limit reset at UTC midnight.
      method: 'GET',
      pattern: '/account-info/v3/details',
      limitClass: 'standard',
      scope: () => undefined,
      handle: () => ({
        status: 200,
        body: {
          portalId,
          accountType: 'STANDARD',
          timeZone: 'UTC',
          companyCurrency: 'USD',
          additionalCurrencies: [],
          utcOffset: '+00:00',
          utcOffsetMilliseconds: 0,
          uiDomain: 'app.hubspot.com',
          dataHostingLocation: 'na1',
        },
      }),
    },
    {
      // Limits-tracking API (https://developers.hubspot.com/docs/api-reference/2026-03/crm/limits-tracking/get-custom-properties):
      // custom properties per object type with their subscription-dependent cap (here
      // EmulatorLimits.customPropertiesPerObject). HubSpot accepts any of many CRM read scopes; the emulator asks
      // for the contacts read scope the connector has. Only the emulated object types are listed, so the overall
      // figures are their sums.
      method: 'GET',
      pattern: '/crm/v3/limits/custom-properties',
      limitClass: 'standard',
      scope: objectsRead,
      handle: () => {
        const limit = limits.limit('customPropertiesPerObject');
        const byObjectType = CRM_OBJECT_TYPES.map((objectType) => {
          const info = OBJECT_TYPE_INFO[objectType];
          const usage = registry.customPropertyCount(objectType);
          return {
            objectTypeId: info.objectTypeId,
            singularLabel: info.singularLabel,
            pluralLabel: PLURAL_LABELS[objectType] ?? info.singularLabel,
            limit,
            usage,
            percentage: percentage(usage, limit),
          };
        });
        const overallLimit = byObjectType.reduce((sum, entry) => sum + entry.limit, 0);
        const overallUsage = byObjectType.reduce((sum, entry) => sum + entry.usage, 0);
        return {
          status: 200,
          body: { byObjectType, overallLimit, overallUsage, overallPercentage: percentage(overallUsage, overallLimit) },
        };
      },
    },
  ];
}

/** Percent of the limit used, to two decimals (HubSpot documents a number, not its rounding). */
function percentage(usage: number, limit: number): number {
  if (limit <= 0) return usage > 0 ? 100 : 0;
  return Math.round((usage / limit) * 10_000) / 100;
}
