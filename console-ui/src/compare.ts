// What the mapping page reads out of the server's answers: a refused save's problems, and a preview's differences.
import { own } from './own';
import type { MappingProblem, Properties } from './types';

/** The problems a refused save carries: `{ok:false, problems}`, or the same inside the error envelope. */
export function problemsOf(body: unknown): MappingProblem[] | null {
  const read = (value: unknown): MappingProblem[] | null =>
    typeof value === 'object' && value !== null && 'problems' in value && Array.isArray(value.problems)
      ? (value.problems as MappingProblem[])
      : null;
  if (typeof body !== 'object' || body === null) return null;
  return read(body) ?? ('error' in body ? read(body.error) : null);
}

export interface PropertyRow {
  name: string;
  inForce: string | undefined;
  proposed: string | undefined;
  changed: boolean;
}

/** Every property either mapping writes, in-force order first, each marked when the two differ. */
export function compareProperties(inForce: Properties | null, proposed: Properties | null): PropertyRow[] {
  const names = [...new Set([...Object.keys(inForce ?? {}), ...Object.keys(proposed ?? {})])];
  return names.map((name) => {
    const before = own(inForce, name);
    const after = own(proposed, name);
    return { name, inForce: before, proposed: after, changed: before !== after };
  });
}
