/**
 * `/calling/v1/dispositions`: the portal's call outcomes, which `hs_call_disposition` holds by GUID. They are the
 * options of `hs_call_disposition`, so a custom outcome is emulated by adding an option to that property.
 */
import { objectsRead } from './emulator-object-routes.js';
import type { PropertyRegistry } from './emulator-property-registry.js';
import type { Route } from './emulator-router.js';

export function callingRoutes(registry: PropertyRegistry): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/calling/v1/dispositions',
      limitClass: 'standard',
      scope: objectsRead,
      handle: () => ({
        status: 200,
        body: (registry.get('calls', 'hs_call_disposition')?.options ?? [])
          .filter((option) => !option.hidden)
          .map(({ value, label }) => ({ id: value, label, deleted: false })),
      }),
    },
  ];
}
