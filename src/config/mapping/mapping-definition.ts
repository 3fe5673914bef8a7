import { ownValue } from '../../common/own-value.js';
import { isWellFormedText } from '../../common/payload-validation.js';
import { CALL_OUTCOMES, type CallDirection, type CallEventKind, type CallOutcome } from '../../vendors/call-record.js';
import type {
  AnswerSource,
  ConfiguredFields,
  ConfiguredVendorSpec,
  DurationField,
  TimeField,
  ValueMap,
} from '../../vendors/configured/configured-vendor-spec.js';
import { parseValuePath, type PathSegment } from '../../vendors/configured/value-path.js';
import { compilePattern, isValidTimeZone } from '../../vendors/vendor-time.js';
import { isRecord, type Path, type Reader } from './mapping-reader.js';

const DIRECTIONS = ['inbound', 'outbound'] as const;
const EVENT_KINDS = ['start', 'collect', 'hangup', 'transfer', 'result'] as const;
const TIME_FORMATS = ['auto', 'iso', 'epoch-s', 'epoch-ms'] as const;
const DURATION_UNITS = ['s', 'ms', 'min'] as const;
/** The vendor's secret setting: an environment name of its own, never one of the connector's settings. */
/** As `registerVendor` takes them (at most 64 characters), ending in _SECRET or _KEY. */
const SECRET_SETTING = /^(?=.{3,64}$)[A-Z][A-Z0-9_]{1,56}_(SECRET|KEY)$/;
const EXTRA_NAME = /^[A-Za-z][\w-]{0,63}$/;
const MAX_KEY_PATHS = 4;
const MAX_EVENT_NAME_LENGTH = 100;

const FIELD_KEYS = [
  'callId',
  'customerNumber',
  'lineNumber',
  'fromNumber',
  'toNumber',
  'customerName',
  'customerEmail',
  'customerCompany',
  'direction',
  'startedAt',
  'answeredAt',
  'endedAt',
  'duration',
  'talkDuration',
  'outcome',
  'hangupReason',
  'recordingUrl',
  'summary',
  'sentiment',
  'success',
  'intention',
  'tags',
  'answers',
  'extras',
] as const;

/**
 * `vendors.<id>.definition`: a vendor described here rather than in code. For example (Bland, in full in
 * `config/examples/bland.yaml`):
 *
 *     definition:
 *       displayName: Bland AI
 *       secretSetting: BLAND_WEBHOOK_SECRET        # the environment setting with its signing secret
 *       eventName: { value: call }                  # or { path: type } where each delivery names its event
 *       eventKey: [call_id]                         # what makes a delivery the same event again
 *       callEvents: [call]                          # or { call_started: start, call_ended: hangup }
 *       fields:
 *         callId: call_id
 *         fromNumber: from
 *         toNumber: to
 *         direction: { path: inbound, whenTrue: inbound }
 *         startedAt: { path: started_at, format: iso }
 *         duration: { path: corrected_duration, unit: s }
 *
 * Every problem is reported with its line; the spec is null when there was one.
 */
export function readDefinition(read: Reader, raw: unknown, path: Path): ConfiguredVendorSpec | null {
  const before = read.problems.length;
  const map = read.map(raw, path, ['displayName', 'secretSetting', 'eventName', 'eventKey', 'callEvents', 'fields']);
  if (!map) {
    read.problem(path, 'must be a map with displayName, secretSetting, fields and how events are named and keyed');
    return null;
  }
  const displayName = required(read, map, path, 'displayName', () =>
    read.text(map['displayName'], [...path, 'displayName'], null, (text) =>
      text.trim().length > 100 ? 'must be at most 100 characters' : null,
    ),
  );
  const secretSetting = required(read, map, path, 'secretSetting', () =>
    read.text(map['secretSetting'], [...path, 'secretSetting'], null, (text) =>
      SECRET_SETTING.test(text)
        ? null
        : 'must be an upper-case environment setting name ending in _SECRET or _KEY, such as BLAND_WEBHOOK_SECRET',
    ),
  );

  let eventNamePath: PathSegment[] | null = null;
  let fixedEventName = 'call';
  const eventName = read.map(map['eventName'], [...path, 'eventName'], ['path', 'value']);
  if (eventName) {
    if ((eventName['path'] === undefined) === (eventName['value'] === undefined))
      read.problem(
        [...path, 'eventName'],
        'takes path (where each delivery names its event) or value (one name for all)',
      );
    else if (eventName['path'] !== undefined)
      eventNamePath = readPath(read, eventName['path'], [...path, 'eventName', 'path']);
    else fixedEventName = eventNameText(read, eventName['value'], [...path, 'eventName', 'value']) ?? fixedEventName;
  }

  const callEvents = readCallEvents(read, map['callEvents'], [...path, 'callEvents'], eventNamePath, fixedEventName);
  const fields = readFields(read, map['fields'], [...path, 'fields']);

  let eventKey: PathSegment[][] = [];
  if (map['eventKey'] === undefined) {
    if (fields) eventKey = [fields.callId, ...(eventNamePath ? [eventNamePath] : [])];
  } else {
    const entries =
      typeof map['eventKey'] === 'string' ? [map['eventKey']] : read.list(map['eventKey'], [...path, 'eventKey']);
    if (entries.length === 0 || entries.length > MAX_KEY_PATHS)
      read.problem(
        [...path, 'eventKey'],
        `must name 1 to ${MAX_KEY_PATHS} paths (the call id, and the event name where a call has several events)`,
      );
    eventKey = entries.flatMap((entry, index) => {
      const at = typeof map['eventKey'] === 'string' ? [...path, 'eventKey'] : [...path, 'eventKey', index];
      const segments = readPath(read, entry, at);
      return segments ? [segments] : [];
    });
    // Several events of one call under one key would be stored as revisions of each other: the later one replaces
    // the earlier before it is synced. The event name must be part of the key then.
    const samePath = (a: PathSegment[], b: PathSegment[]) => a.length === b.length && a.every((s, i) => s === b[i]);
    if (
      eventNamePath &&
      callEvents &&
      Object.keys(callEvents).length > 1 &&
      !eventKey.some((segments) => samePath(segments, eventNamePath))
    )
      read.problem(
        [...path, 'eventKey'],
        'must include the event name path: the call has several events, and under one key each would replace the other',
      );
  }

  if (read.problems.length > before || !displayName || !secretSetting || !fields || !callEvents) return null;
  return {
    displayName: displayName.trim(),
    secretSetting,
    eventNamePath,
    fixedEventName,
    eventKey,
    callEvents,
    fields,
  };
}

function required<T>(
  read: Reader,
  map: Record<string, unknown>,
  path: Path,
  key: string,
  value: () => T | null,
): T | null {
  if (ownValue(map, key) === undefined) {
    read.problem(path, `needs ${key}`);
    return null;
  }
  return value();
}

function readPath(read: Reader, value: unknown, at: Path): PathSegment[] | null {
  if (typeof value !== 'string' || value.trim() === '') {
    read.problem(at, 'must be a path into the JSON, such as call.id or messages[0].text');
    return null;
  }
  const parsed = parseValuePath(value.trim());
  if ('problem' in parsed) {
    read.problem(at, parsed.problem);
    return null;
  }
  return parsed.segments;
}

function eventNameText(read: Reader, value: unknown, at: Path): string | null {
  return read.text(value, at, null, (text) =>
    text.trim().length > MAX_EVENT_NAME_LENGTH || !isWellFormedText(text) || text.trim() !== text
      ? `must be an event name of at most ${MAX_EVENT_NAME_LENGTH} characters, without spaces around it`
      : null,
  );
}

/** `[a, b]` (each a `result`), or `{ a: start, b: hangup }`; by default the one fixed event name. */
function readCallEvents(
  read: Reader,
  raw: unknown,
  path: Path,
  eventNamePath: PathSegment[] | null,
  fixedEventName: string,
): Record<string, CallEventKind> | null {
  if (raw === undefined) {
    if (eventNamePath === null) return { [fixedEventName]: 'result' };
    read.problem(path.slice(0, -1), 'needs callEvents: the event names that carry a call');
    return null;
  }
  const events: Record<string, CallEventKind> = {};
  if (Array.isArray(raw)) {
    raw.forEach((name, index) => {
      const text = eventNameText(read, name, [...path, index]);
      if (text !== null) events[text] = 'result';
    });
  } else if (isRecord(raw)) {
    for (const [name, kind] of Object.entries(raw)) {
      const text = eventNameText(read, name, [...path, name]);
      const value = read.oneOf(kind, [...path, name], EVENT_KINDS, 'result');
      if (text !== null) events[text] = value;
    }
  } else {
    read.problem(
      path,
      'must be a list of event names, or a map of event name to kind (start, collect, hangup, transfer, result)',
    );
    return null;
  }
  if (Object.keys(events).length === 0) {
    read.problem(path, 'must name at least one event');
    return null;
  }
  if (eventNamePath === null && !Object.hasOwn(events, fixedEventName))
    read.problem(path, `must include ${fixedEventName}, the name every delivery gets (eventName.value)`);
  return events;
}

function readFields(read: Reader, raw: unknown, path: Path): ConfiguredFields | null {
  const before = read.problems.length;
  const map = read.map(raw, path, [...FIELD_KEYS]);
  if (!map) {
    read.problem(path.slice(0, -1), 'needs fields (at least callId: the path of the call id)');
    return null;
  }
  const optionalPath = (key: (typeof FIELD_KEYS)[number]): PathSegment[] | null =>
    map[key] === undefined || map[key] === null ? null : readPath(read, map[key], [...path, key]);
  const callId = map['callId'] === undefined ? null : readPath(read, map['callId'], [...path, 'callId']);
  if (map['callId'] === undefined) read.problem(path, 'needs callId: the path of the call id');

  const fields: ConfiguredFields = {
    callId: callId ?? [],
    customerNumber: optionalPath('customerNumber'),
    lineNumber: optionalPath('lineNumber'),
    fromNumber: optionalPath('fromNumber'),
    toNumber: optionalPath('toNumber'),
    customerName: optionalPath('customerName'),
    customerEmail: optionalPath('customerEmail'),
    customerCompany: optionalPath('customerCompany'),
    direction: readDirection(read, map['direction'], [...path, 'direction']),
    startedAt: readTime(read, map['startedAt'], [...path, 'startedAt']),
    answeredAt: readTime(read, map['answeredAt'], [...path, 'answeredAt']),
    endedAt: readTime(read, map['endedAt'], [...path, 'endedAt']),
    duration: readDuration(read, map['duration'], [...path, 'duration']),
    talkDuration: readDuration(read, map['talkDuration'], [...path, 'talkDuration']),
    outcome: readOutcome(read, map['outcome'], [...path, 'outcome']),
    hangupReason: optionalPath('hangupReason'),
    recordingUrl: optionalPath('recordingUrl'),
    summary: optionalPath('summary'),
    sentiment: optionalPath('sentiment'),
    success: optionalPath('success'),
    intention: optionalPath('intention'),
    tags: optionalPath('tags'),
    answers: readAnswerSources(read, map['answers'], [...path, 'answers']),
    extras: readExtras(read, map['extras'], [...path, 'extras']),
  };
  const byRole = map['customerNumber'] !== undefined || map['lineNumber'] !== undefined;
  const byEnd = map['fromNumber'] !== undefined || map['toNumber'] !== undefined;
  if (byRole && byEnd)
    read.problem(
      path,
      'takes customerNumber/lineNumber or fromNumber/toNumber (the direction tells which is the customer), not both',
    );
  if (byEnd && fields.direction.map === null && fields.direction.fallback === null)
    read.problem(path, 'fromNumber/toNumber need direction: it tells which number is the customer');
  return read.problems.length > before ? null : fields;
}

/** A path and a table of its values (compared as text, trimmed, any case). */
function readValueMap<T extends string>(
  read: Reader,
  map: Record<string, unknown>,
  path: Path,
  allowed: readonly T[],
): ValueMap<T> | null {
  const at = readPath(read, map['path'], [...path, 'path']);
  const values: Record<string, T> = {};
  const raw = map['values'];
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    read.problem([...path, 'values'], `must map the vendor's values to ${allowed.join(', ')}`);
    return null;
  }
  for (const [value, meaning] of Object.entries(raw)) {
    const key = value.trim().toLowerCase();
    if (key === '') read.problem([...path, 'values', value], 'must not be an empty value');
    else values[key] = read.oneOf(meaning, [...path, 'values', value], allowed, allowed[0]!);
  }
  return at ? { path: at, values } : null;
}

/**
 * `{ path, values: { <vendor value>: inbound|outbound } }`, or a flag: `{ path: inbound, whenTrue: inbound }`;
 * `default` for a value not listed (or absent), or alone for a vendor whose calls all go one way.
 */
function readDirection(read: Reader, raw: unknown, path: Path): ConfiguredFields['direction'] {
  const none = { map: null, fallback: null };
  const map = read.map(raw, path, ['path', 'values', 'whenTrue', 'default']);
  if (!map) return none;
  const fallback =
    map['default'] === undefined ? null : read.oneOf(map['default'], [...path, 'default'], DIRECTIONS, 'inbound');
  if (map['path'] === undefined) {
    if (map['values'] !== undefined || map['whenTrue'] !== undefined) read.problem(path, 'needs path');
    else if (fallback === null) read.problem(path, 'needs path (and values or whenTrue), or default');
    return { map: null, fallback };
  }
  if ((map['values'] === undefined) === (map['whenTrue'] === undefined)) {
    read.problem(path, "takes values (a table of the vendor's values) or whenTrue (for a true/false flag)");
    return { map: null, fallback };
  }
  if (map['whenTrue'] !== undefined) {
    const whenTrue = read.oneOf(map['whenTrue'], [...path, 'whenTrue'], DIRECTIONS, 'inbound');
    const at = readPath(read, map['path'], [...path, 'path']);
    const other: CallDirection = whenTrue === 'inbound' ? 'outbound' : 'inbound';
    return { map: at ? { path: at, values: { true: whenTrue, false: other } } : null, fallback };
  }
  return { map: readValueMap(read, map, path, DIRECTIONS), fallback };
}

/** A path (read as ISO 8601, a local time or epoch, whichever it is), or `{ path, format, zone }`. */
function readTime(read: Reader, raw: unknown, path: Path): TimeField | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'string') {
    const at = readPath(read, raw, path);
    return at ? { path: at, format: 'auto', zone: null } : null;
  }
  const map = read.map(raw, path, ['path', 'format', 'zone']);
  if (!map) return null;
  const at = readPath(read, map['path'], [...path, 'path']);
  let format: TimeField['format'] = 'auto';
  const rawFormat = map['format'];
  if (typeof rawFormat === 'string' && (TIME_FORMATS as readonly string[]).includes(rawFormat))
    format = rawFormat as (typeof TIME_FORMATS)[number];
  else if (typeof rawFormat === 'string' && rawFormat.trim() !== '') {
    const compiled = compilePattern(rawFormat);
    if ('problem' in compiled)
      read.problem(
        [...path, 'format'],
        `must be ${TIME_FORMATS.join(', ')} or a pattern such as yyyy-MM-dd HH:mm:ss: ${compiled.problem}`,
      );
    else format = { pattern: rawFormat };
  } else if (rawFormat !== undefined)
    read.problem([...path, 'format'], `must be ${TIME_FORMATS.join(', ')} or a pattern such as yyyy-MM-dd HH:mm:ss`);
  const zone = read.text(map['zone'], [...path, 'zone'], null, (text) =>
    isValidTimeZone(text) ? null : 'must be an IANA time zone such as America/New_York',
  );
  if (zone !== null && (format === 'epoch-s' || format === 'epoch-ms'))
    read.problem([...path, 'zone'], 'means nothing for an epoch time (it is an instant)');
  return at ? { path: at, format, zone } : null;
}

/** `{ path, unit: s | ms | min }`: the unit is never guessed (a minute read as a second is a wrong call length). */
function readDuration(read: Reader, raw: unknown, path: Path): DurationField | null {
  if (raw === undefined || raw === null) return null;
  const map = read.map(raw, path, ['path', 'unit']);
  if (!map) return null;
  const at = readPath(read, map['path'], [...path, 'path']);
  if (map['unit'] === undefined) {
    read.problem(path, `needs unit (${DURATION_UNITS.join(', ')}): what one of the vendor's numbers is`);
    return null;
  }
  const unit = read.oneOf(map['unit'], [...path, 'unit'], DURATION_UNITS, 's');
  return at ? { path: at, unit } : null;
}

/** One `{ path, values }`, or a list of them tried in order (`answered_by` before `status`, say). */
function readOutcome(read: Reader, raw: unknown, path: Path): Array<ValueMap<CallOutcome>> {
  if (raw === undefined || raw === null) return [];
  const entries = Array.isArray(raw) ? raw : [raw];
  return entries.flatMap((entry, index) => {
    const at = Array.isArray(raw) ? [...path, index] : path;
    const map = read.map(entry, at, ['path', 'values']);
    if (!map) {
      read.problem(at, `must be { path, values: { <vendor value>: ${CALL_OUTCOMES.join(' | ')} } }`);
      return [];
    }
    const valueMap = readValueMap(read, map, at, CALL_OUTCOMES);
    return valueMap ? [valueMap] : [];
  });
}

/** `[{ map: analysis }]` (every key an answer) or `[{ list: questions, question: q, answer: a, questionId: id }]`. */
function readAnswerSources(read: Reader, raw: unknown, path: Path): AnswerSource[] {
  return read.list(raw, path).flatMap((entry, index): AnswerSource[] => {
    const at = [...path, index];
    const map = read.map(entry, at, ['map', 'list', 'questionId', 'question', 'answer']);
    if (!map || (map['map'] === undefined) === (map['list'] === undefined)) {
      read.problem(at, 'must be { map: <path> } (every key an answer) or { list: <path>, question, answer }');
      return [];
    }
    if (map['map'] !== undefined) {
      for (const key of ['questionId', 'question', 'answer'])
        if (ownValue(map, key) !== undefined)
          read.problem([...at, key], 'is for list answers: in a map, each key is the question');
      const segments = readPath(read, map['map'], [...at, 'map']);
      return segments ? [{ kind: 'map', path: segments }] : [];
    }
    const list = readPath(read, map['list'], [...at, 'list']);
    const sub = (key: 'questionId' | 'question' | 'answer'): PathSegment[] | null =>
      map[key] === undefined ? null : readPath(read, map[key], [...at, key]);
    const answer = sub('answer');
    if (map['answer'] === undefined) read.problem(at, 'needs answer: the path of the answer within each item');
    if (!list || !answer) return [];
    return [{ kind: 'list', path: list, questionId: sub('questionId'), question: sub('question'), answer }];
  });
}

function readExtras(read: Reader, raw: unknown, path: Path): Record<string, PathSegment[]> {
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) {
    read.problem(path, 'must be a map of name to path (each becomes extras.<name>)');
    return {};
  }
  const extras: Record<string, PathSegment[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!EXTRA_NAME.test(name) || name === 'warnings') {
      read.problem([...path, name], 'must be a name of letters, digits, _ or - (and not warnings)');
      continue;
    }
    const segments = readPath(read, value, [...path, name]);
    if (segments) extras[name] = segments;
  }
  return extras;
}
