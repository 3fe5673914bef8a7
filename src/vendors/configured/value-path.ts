import { hasOwnKey, ownValue } from '../../common/own-value.js';

/**
 * Paths into a vendor's JSON, as `config/mapping.yaml` names them: keys separated by dots, list items by index, and
 * keys that hold a dot or a bracket in quotes: `call.analysis.score`, `messages[0].text`, `variables["lead.source"]`.
 * Nothing is evaluated (no filters, no wildcards): a field is where the vendor's documentation says it is, and a
 * path that reads more than one place would make a call id or a number ambiguous.
 */
export type PathSegment = string | number;

/** Longer paths are refused: no vendor nests a field this deep, and a path is read for every event. */
export const MAX_PATH_SEGMENTS = 16;
const MAX_PATH_LENGTH = 300;
const NAME = /^[^.[\]"\s]+/;
const INDEX = /^\[(\d{1,6})\]/;
const QUOTED = /^\["((?:[^"\\]|\\.)*)"\]/;

/** The path's segments, or the problem with its text (for the config reader to report with its line). */
export function parseValuePath(text: string): { segments: PathSegment[] } | { problem: string } {
  if (text.length > MAX_PATH_LENGTH) return { problem: `must be at most ${MAX_PATH_LENGTH} characters` };
  const segments: PathSegment[] = [];
  let rest = text;
  let expectName = true;
  while (rest !== '') {
    const index = INDEX.exec(rest);
    const quoted = QUOTED.exec(rest);
    const name = expectName ? NAME.exec(rest) : null;
    if (index) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
    } else if (quoted) {
      let key: string;
      try {
        key = JSON.parse(`"${quoted[1]}"`) as string;
      } catch {
        return { problem: `has a quoted key that is not valid JSON text (at "${rest}")` };
      }
      segments.push(key);
      rest = rest.slice(quoted[0].length);
    } else if (name) {
      segments.push(name[0]);
      rest = rest.slice(name[0].length);
    } else {
      return { problem: `is not a path such as call.id, messages[0].text or variables["lead.source"] (at "${rest}")` };
    }
    expectName = false;
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      expectName = true;
      if (rest === '' || !NAME.test(rest)) return { problem: 'has a dot that is not followed by a key' };
    }
  }
  if (segments.length === 0) return { problem: 'is empty' };
  if (segments.length > MAX_PATH_SEGMENTS) return { problem: `must have at most ${MAX_PATH_SEGMENTS} parts` };
  return { segments };
}

/** The value at the path, or undefined where the JSON has nothing there (own keys only, never the prototype's). */
export function readPath(root: unknown, segments: readonly PathSegment[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return undefined;
      value = value[segment] as unknown;
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !hasOwnKey(value, segment))
        return undefined;
      value = ownValue(value as Record<string, unknown>, segment);
    }
  }
  return value;
}

/** The path as written in messages (`call.id`, `messages[0].text`, `variables["lead.source"]`). */
export function formatValuePath(segments: readonly PathSegment[]): string {
  return segments
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      if (!NAME.test(segment) || NAME.exec(segment)![0] !== segment) return `[${JSON.stringify(segment)}]`;
      return index === 0 ? segment : `.${segment}`;
    })
    .join('');
}
