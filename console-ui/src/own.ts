/**
 * `table[key]` only when `key` is the table's own, as src/common/own-value.ts does for the server: a key from the
 * connector's answers (a property name, a vendor id) that names a member of Object.prototype finds nothing.
 */
export function own<T>(table: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return table !== null && table !== undefined && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key]
    : undefined;
}
