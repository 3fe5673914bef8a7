/**
 * `table[key]` only when `key` is the table's own: a key from a vendor or an admin (an intention, an event name, a
 * template field, an outcome) that names a member of `Object.prototype` (`constructor`, `toString`, `__proto__`, …)
 * finds nothing, instead of a function. Every lookup keyed by outside text goes through here or through a `Map`.
 */
export function ownValue<T>(table: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return table !== null && table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Whether `key` is the table's own (see `ownValue`). */
export function hasOwnKey(table: object | null | undefined, key: string): boolean {
  return table !== null && table !== undefined && Object.hasOwn(table, key);
}
