import { ownValue } from '../../common/own-value.js';
import { isIP } from 'node:net';
import { isKnownSource, SOURCE_FIELDS } from '../../mapping/source-fields.js';
import { compileTemplate, type CompiledTemplate } from '../../mapping/template.js';
import { isSupportedRegion } from '../../vendors/phone-number.js';
import { isValidTimeZone } from '../../vendors/vendor-time.js';
import type { ConfiguredVendorSpec } from '../../vendors/configured/configured-vendor-spec.js';
import type { VendorDefinition } from '../../vendors/vendor-definition.js';
import { DEFAULT_ANALYSIS_KEYS } from '../../vendors/vendor-mapper.js';
import { readAuth } from './mapping-auth.js';
import { isRecord, type Path, type Reader } from './mapping-reader.js';
import {
  DEFAULT_CALL_TITLE,
  DEFAULT_RECORDINGS,
  RECORDING_MODES,
  WRITE_MODES,
  type AnswerMapping,
  type CallSettings,
  type ContactSettings,
  type PropertyMapping,
  type RecordingSettings,
  type VendorSettings,
  type WriteMode,
} from './mapping-settings.js';

/** The highest per-vendor body limit: a few base64 call recordings' worth. */
const MAX_BODY_LIMIT = 64 * 1024 * 1024;

/** One reader per section of `config/mapping.yaml`; each returns the section with its defaults filled in. */

/**
 * `vendors.<id>`. For a vendor defined here (`definition`, already read into `vendor` and `definition`), `auth` and
 * `defaultRegion` are required: no code gives them a default.
 */
export function readVendor(
  read: Reader,
  raw: unknown,
  vendor: VendorDefinition,
  definition: ConfiguredVendorSpec | null = null,
): VendorSettings {
  const path: Path = ['vendors', vendor.id];
  const settings: VendorSettings = {
    enabled: true,
    timeZone: vendor.defaults.timeZone,
    defaultRegion: vendor.defaults.defaultRegion,
    intentions: {},
    allowedIps: [],
    events: {
      create: vendor.callEvents.filter((name) => !(vendor.updateEvents ?? []).includes(name)),
      update: [...(vendor.updateEvents ?? [])],
    },
    reply: structuredClone(vendor.defaultReply),
    auth: vendor.auth,
    maxBodyBytes: vendor.maxBodyBytes ?? null,
    analysisKeys: { ...DEFAULT_ANALYSIS_KEYS },
    definition,
  };
  const map = read.map(raw, path, [
    'definition',
    'enabled',
    'timeZone',
    'defaultRegion',
    'intentions',
    'allowedIps',
    'events',
    'reply',
    'auth',
    'maxBodyBytes',
    'analysisKeys',
  ]);
  if (!map) return settings;
  if (definition === null && map['definition'] !== undefined)
    read.problem([...path, 'definition'], `${vendor.id} is built in: its definition is in code`);
  if (definition !== null) {
    for (const key of ['auth', 'defaultRegion'])
      if (ownValue(map, key) === undefined) read.problem(path, `a vendor defined here needs ${key}`);
  }
  settings.auth = readAuth(read, map['auth'], [...path, 'auth'], vendor.auth);
  const keys = read.map(map['analysisKeys'], [...path, 'analysisKeys'], ['intention', 'tags']);
  if (keys) {
    for (const name of ['intention', 'tags'] as const) {
      if (keys[name] !== undefined)
        settings.analysisKeys[name] = read.text(
          keys[name],
          [...path, 'analysisKeys', name],
          settings.analysisKeys[name],
        );
    }
  }
  const maxBody = map['maxBodyBytes'];
  if (maxBody !== undefined) {
    if (typeof maxBody !== 'number' || !Number.isInteger(maxBody) || maxBody < 1024 || maxBody > MAX_BODY_LIMIT)
      read.problem([...path, 'maxBodyBytes'], `must be a whole number of bytes from 1024 to ${MAX_BODY_LIMIT}`);
    else settings.maxBodyBytes = maxBody;
  }
  settings.enabled = read.bool(map['enabled'], [...path, 'enabled'], true);
  settings.timeZone =
    read.text(map['timeZone'], [...path, 'timeZone'], settings.timeZone, (zone) =>
      isValidTimeZone(zone) ? null : 'must be an IANA time zone such as Asia/Shanghai',
    ) ?? settings.timeZone;
  settings.defaultRegion =
    read.text(map['defaultRegion'], [...path, 'defaultRegion'], settings.defaultRegion, (region) =>
      isSupportedRegion(region) ? null : 'must be a two-letter region code such as CN',
    ) ?? settings.defaultRegion;

  const intentions = map['intentions'];
  if (intentions !== undefined && intentions !== null && !isRecord(intentions)) {
    read.problem([...path, 'intentions'], 'must be a map of vendor value to label');
  } else if (intentions) {
    for (const [code, entry] of Object.entries(intentions)) {
      const entryPath = [...path, 'intentions', code];
      if (typeof entry === 'string' && entry.trim() !== '')
        settings.intentions[code] = { label: entry.trim(), outcome: null };
      else if (isRecord(entry)) {
        const detail = read.map(entry, entryPath, ['label', 'outcome'])!;
        const label = read.text(detail['label'], [...entryPath, 'label'], null);
        const outcome = read.text(detail['outcome'], [...entryPath, 'outcome'], null);
        if (label === null) read.problem(entryPath, 'needs a label');
        else settings.intentions[code] = { label: label.trim(), outcome: outcome?.trim() ?? null };
      } else read.problem(entryPath, 'must be a label, or a map with label and outcome');
    }
  }

  settings.allowedIps = read.list(map['allowedIps'], [...path, 'allowedIps']).flatMap((entry, index) => {
    if (typeof entry === 'string' && isAddressOrRange(entry)) return [entry.trim()];
    read.problem([...path, 'allowedIps', index], 'must be an IP address or CIDR range such as 203.0.113.0/24');
    return [];
  });

  const events = read.map(map['events'], [...path, 'events'], ['create', 'update']);
  if (events) {
    const known = vendor.callEvents;
    const names = (key: 'create' | 'update'): string[] =>
      read.list(events[key], [...path, 'events', key]).flatMap((name, index) => {
        if (typeof name === 'string' && known.includes(name)) return [name];
        read.problem([...path, 'events', key, index], `must be one of ${known.join(', ')}`);
        return [];
      });
    settings.events = { create: names('create'), update: names('update') };
    const both = settings.events.create.filter((name) => settings.events.update.includes(name));
    if (both.length > 0) read.problem([...path, 'events'], `${both.join(', ')} cannot be in both create and update`);
  }

  if (map['reply'] !== undefined) {
    if (!isRecord(map['reply'])) read.problem([...path, 'reply'], 'must be a map (the JSON body of the reply)');
    else settings.reply = map['reply'];
  }
  return settings;
}

function readMode(read: Reader, value: unknown, path: Path, fallback: WriteMode): WriteMode {
  return read.oneOf(value, path, WRITE_MODES, fallback);
}

export function readPropertyMappings(
  read: Reader,
  raw: unknown,
  path: Path,
  defaultMode: WriteMode,
): PropertyMapping[] {
  return read.list(raw, path).flatMap((entry, index): PropertyMapping[] => {
    const entryPath = [...path, index];
    const map = read.map(entry, entryPath, ['source', 'template', 'property', 'mode']);
    if (!map) {
      if (entry === null || entry === undefined)
        read.problem(entryPath, 'must be a map with source (or template), property and mode');
      return [];
    }
    const property = read.propertyName(map['property'], [...entryPath, 'property']);
    const mode = readMode(read, map['mode'], [...entryPath, 'mode'], defaultMode);
    let source: string | null = null;
    let template: CompiledTemplate | null = null;
    if (map['source'] !== undefined && map['template'] !== undefined)
      read.problem(entryPath, 'takes a source or a template, not both');
    else if (map['source'] !== undefined) {
      if (typeof map['source'] !== 'string' || !isKnownSource(map['source'])) {
        read.problem(
          [...entryPath, 'source'],
          `unknown field "${typeof map['source'] === 'string' ? map['source'] : JSON.stringify(map['source'])}" (known: ${Object.keys(SOURCE_FIELDS).join(', ')}, extras.<name>)`,
        );
      } else source = map['source'];
    } else if (map['template'] !== undefined) template = read.template(map['template'], [...entryPath, 'template']);
    else read.problem(entryPath, 'needs a source or a template');
    if (!property || (!source && !template)) return [];
    return [{ property, source, template, mode, origin: read.where(entryPath) }];
  });
}

export function readContact(read: Reader, raw: unknown): ContactSettings {
  const settings: ContactSettings = {
    create: true,
    defaultName: null,
    lifecycleStage: null,
    marketingContact: false,
    properties: [
      {
        property: 'firstname',
        source: 'customer.name',
        template: null,
        mode: 'fill-if-empty',
        origin: 'built-in default',
      },
      {
        property: 'email',
        source: 'customer.email',
        template: null,
        mode: 'fill-if-empty',
        origin: 'built-in default',
      },
      {
        property: 'company',
        source: 'customer.company',
        template: null,
        mode: 'fill-if-empty',
        origin: 'built-in default',
      },
    ],
  };
  const map = read.map(raw, ['contact'], ['create', 'defaultName', 'lifecycleStage', 'marketingContact', 'properties']);
  if (!map) return settings;
  settings.create = read.bool(map['create'], ['contact', 'create'], true);
  settings.defaultName = read.text(map['defaultName'], ['contact', 'defaultName'], null);
  settings.lifecycleStage =
    map['lifecycleStage'] === undefined || map['lifecycleStage'] === null
      ? null
      : read.propertyName(map['lifecycleStage'], ['contact', 'lifecycleStage']);
  settings.marketingContact = read.bool(map['marketingContact'], ['contact', 'marketingContact'], false);
  if (map['properties'] !== undefined)
    settings.properties = readPropertyMappings(read, map['properties'], ['contact', 'properties'], 'fill-if-empty');
  return settings;
}

export function readAnswers(read: Reader, raw: unknown): AnswerMapping[] {
  return read.list(raw, ['answers']).flatMap((entry, index): AnswerMapping[] => {
    const path: Path = ['answers', index];
    const map = read.map(entry, path, ['questionId', 'question', 'to', 'property', 'mode']);
    if (!map) return [];
    const questionId = read.text(map['questionId'], [...path, 'questionId'], null);
    const question = read.text(map['question'], [...path, 'question'], null);
    if (questionId === null && question === null) read.problem(path, 'needs questionId or question');
    const to = read.oneOf(map['to'], [...path, 'to'], ['contact', 'call'] as const, 'call');
    const property = read.propertyName(map['property'], [...path, 'property']);
    const mode = readMode(read, map['mode'], [...path, 'mode'], to === 'contact' ? 'fill-if-empty' : 'overwrite');
    if (!property || (questionId === null && question === null)) return [];
    return [{ questionId, question: question?.trim() ?? null, to, property, mode, origin: read.where(path) }];
  });
}

export function readCall(read: Reader, raw: unknown): CallSettings {
  const settings: CallSettings = {
    title: compileTemplate(DEFAULT_CALL_TITLE),
    body: null,
    intention: { property: 'ai_call_intention', as: 'select' },
    tags: { property: 'ai_call_tags', as: 'multi-select' },
    properties: [],
  };
  const map = read.map(raw, ['call'], ['title', 'body', 'intention', 'tags', 'properties']);
  if (!map) return settings;
  if (map['title'] !== undefined) settings.title = read.template(map['title'], ['call', 'title']) ?? settings.title;
  if (map['body'] !== undefined && map['body'] !== null) settings.body = read.template(map['body'], ['call', 'body']);
  const intention = read.map(map['intention'], ['call', 'intention'], ['property', 'as']);
  if (intention) {
    settings.intention = {
      property:
        intention['property'] === undefined
          ? settings.intention.property
          : (read.propertyName(intention['property'], ['call', 'intention', 'property']) ??
            settings.intention.property),
      as: read.oneOf(intention['as'], ['call', 'intention', 'as'], ['select', 'text'] as const, 'select'),
    };
  }
  const tags = read.map(map['tags'], ['call', 'tags'], ['property', 'as']);
  if (tags) {
    settings.tags = {
      property:
        tags['property'] === undefined
          ? settings.tags.property
          : (read.propertyName(tags['property'], ['call', 'tags', 'property']) ?? settings.tags.property),
      as: read.oneOf(tags['as'], ['call', 'tags', 'as'], ['multi-select', 'text'] as const, 'multi-select'),
    };
  }
  settings.properties = readPropertyMappings(read, map['properties'], ['call', 'properties'], 'overwrite');
  return settings;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/** A File Manager folder: `/` then names of letters, digits, spaces, `-`, `_` and `.` (not `..`), at most 200 characters. */
function folderProblem(text: string): string | null {
  const folder = text.replace(/(.)\/+$/, '$1');
  const segments = folder.split('/').slice(1);
  const valid =
    folder.startsWith('/') &&
    folder !== '/' &&
    text.length <= 200 &&
    segments.every((segment) => /^[\p{L}\p{N} _.-]+$/u.test(segment) && segment !== '.' && segment !== '..');
  return valid ? null : 'must be a folder path such as /ai-calls (names of letters, digits, spaces, - _ .)';
}

/**
 * `recordings:` (absent: `attach` into `/ai-calls`). YAML 1.1 readers take a bare `off` for false: `mode: false`
 * means off as well.
 */
export function readRecordings(read: Reader, raw: unknown): RecordingSettings {
  const section = read.map(raw, ['recordings'], ['mode', 'folder']) ?? {};
  const mode = section['mode'] === false ? 'off' : section['mode'];
  const folder = read.text(section['folder'], ['recordings', 'folder'], DEFAULT_RECORDINGS.folder, folderProblem);
  return {
    mode: read.oneOf(mode, ['recordings', 'mode'], RECORDING_MODES, DEFAULT_RECORDINGS.mode),
    folder: (folder ?? DEFAULT_RECORDINGS.folder).replace(/\/+$/, '') || DEFAULT_RECORDINGS.folder,
  };
}
