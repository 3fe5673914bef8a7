// A copy of the connector's `ownValue`: the emulator models HubSpot and imports nothing of the connector.
/**
 * `table[key]` only when `key` is the table's own: a key from a request (a property name, an object type, a filter
 * field) that names a member of `Object.prototype` (`constructor`, `toString`, `__proto__`, …) finds nothing,
 * instead of a function.
 */
export function ownValue<T>(table: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return table !== null && table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
