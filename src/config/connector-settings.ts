import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { join, relative } from 'node:path';
import { LineCounter, Scalar, parseDocument, type Document } from 'yaml';
import { isKnownSource, SOURCE_FIELDS } from '../mapping/source-fields.js';
import { compileTemplate, TemplateError, type CompiledTemplate } from '../mapping/template.js';
import { isSupportedRegion } from '../vendors/phone-number.js';
import { isValidTimeZone } from '../vendors/vendor-time.js';

/**
 * `config/mapping.yaml`: what the connector does with each vendor's calls and what lands where in HubSpot.
 * Parsed and checked here without HubSpot (syntax, schema, source fields, templates); checks against the portal's
 * properties come after (see `MappingPortalCheck`). Every problem names the file, the line and the setting.
 */

export const VENDOR_IDS = ['voicefox', 'yunfu'] as const;
export type VendorId = (typeof VENDOR_IDS)[number];

export const WRITE_MODES = ['overwrite', 'fill-if-empty', 'never'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** HubSpot's default call outcomes by name; `outcome:` may also be a GUID or a portal's own outcome label. */
export const DEFAULT_OUTCOMES: Record<string, string> = {
  connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
  'no-answer': '73a0d17f-1163-4015-bdd5-ec830791da20',
  'left-live-message': 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff',
  'left-voicemail': 'b2cf5968-551e-4856-9783-52b3da59a7d0',
  'wrong-number': '17b47fee-58de-441e-a44c-c6300d46f273',
};

/** The events that carry a call, per vendor: what `events.create` / `events.update` may name. */
export const CALL_EVENTS: Record<VendorId, string[]> = {
  voicefox: ['callin.collect', 'task.call.collect', 'callin.hangup', 'callin.transfer'],
  yunfu: ['call.success'],
};

export interface IntentionEntry {
  label: string;
  /** `hs_call_disposition` for calls at this level: a default outcome's name, a GUID, or a portal outcome label. */
  outcome: string | null;
}

export interface VendorSettings {
  enabled: boolean;
  timeZone: string;
  defaultRegion: string;
  intentions: Record<string, IntentionEntry>;
  allowedIps: string[];
  /** Events that may create a call (or update it), and events that only update an existing one. */
  events: { create: string[]; update: string[] };
  /** The JSON reply body; string values may use {{received}}, {{stored}}, {{duplicates}}. */
  reply: Record<string, unknown>;
}

export interface HubSpotSettings {
  propertyGroup: string;
  uniquePhoneProperty: string;
  callsWithoutPhone: 'dead-letter' | 'log-without-contact';
}

/** One value written to a HubSpot property: from a source field, or a template. */
export interface PropertyMapping {
  property: string;
  source: string | null;
  template: CompiledTemplate | null;
  mode: WriteMode;
  /** Where it is configured, for messages (`config/mapping.yaml:42 contact.properties[3]`). */
  origin: string;
}

export interface AnswerMapping {
  questionId: string | null;
  question: string | null;
  to: 'contact' | 'call';
  property: string;
  mode: WriteMode;
  origin: string;
}

export interface ContactSettings {
  /** Create contacts for unknown numbers; false: such calls are logged without a contact. */
  create: boolean;
  defaultName: string | null;
  lifecycleStage: string | null;
  marketingContact: boolean;
  properties: PropertyMapping[];
}

export interface CallSettings {
  title: CompiledTemplate;
  /** Null: the built-in body (summary, facts, answers, analysis). */
  body: CompiledTemplate | null;
  intention: { property: string; as: 'select' | 'text' };
  tags: { property: string; as: 'multi-select' | 'text' };
  properties: PropertyMapping[];
}

export interface ConnectorSettings {
  vendors: Record<VendorId, VendorSettings>;
  hubspot: HubSpotSettings;
  contact: ContactSettings;
  answers: AnswerMapping[];
  call: CallSettings;
  /** Where each configured HubSpot property is named, for the portal check's messages. */
  origins: Record<string, string>;
}

export const MAPPING_FILE = 'mapping.yaml';

export class ConfigFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

export const DEFAULT_CALL_TITLE = 'AI call ({{vendorName}}{{#if direction}}, {{direction}}{{/if}}){{#if intention.label}} · intention {{intention.label}}{{/if}}';

const HUBSPOT_NAME = /^[a-z][a-z0-9_]{0,99}$/;

export function loadConnectorSettings(configDir: string): ConnectorSettings {
  const file = join(configDir, MAPPING_FILE);
  const shown = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigFileError([`${shown}: cannot read the file (CONFIG_DIR is ${configDir})`]);
  }
  return parseConnectorSettings(text, shown);
}

type Path = Array<string | number>;

export function formatPath(path: Path): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/** Walks the parsed YAML, collecting every problem with its line. */
class Reader {
  readonly problems: string[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly fileName: string,
  ) {}

  lineOf(path: Path): number {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = (depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true)) as { range?: [number, number, number] } | null;
      if (node?.range) return this.lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  where(path: Path): string {
    return `${this.fileName}:${this.lineOf(path)} ${formatPath(path)}`;
  }

  problem(path: Path, message: string, line?: number): void {
    this.problems.push(line ? `${this.fileName}:${line} ${formatPath(path)}: ${message}` : `${this.where(path)}: ${message}`);
  }

  /** A map at `path` (or undefined when absent), with unknown keys reported. */
  map(value: unknown, path: Path, keys: string[]): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) {
      this.problem(path, 'must be a map');
      return undefined;
    }
    for (const key of Object.keys(value)) if (!keys.includes(key)) this.problem([...path, key], `unknown setting (known: ${keys.join(', ')})`);
    return value;
  }

  list(value: unknown, path: Path): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem(path, 'must be a list');
      return [];
    }
    return value;
  }

  bool(value: unknown, path: Path, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problem(path, 'must be true or false');
      return fallback;
    }
    return value;
  }

  text(value: unknown, path: Path, fallback: string | null, check?: (text: string) => string | null): string | null {
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(path, 'must be a non-empty text');
      return fallback;
    }
    const problem = check?.(value);
    if (problem) {
      this.problem(path, problem);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: Path, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.problem(path, `must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  propertyName(value: unknown, path: Path): string | null {
    if (typeof value !== 'string' || !HUBSPOT_NAME.test(value)) {
      this.problem(path, 'must be a HubSpot property internal name (lowercase letters, digits and _)');
      return null;
    }
    return value;
  }

  template(value: unknown, path: Path): CompiledTemplate | null {
    if (typeof value !== 'string') {
      this.problem(path, 'must be a template text');
      return null;
    }
    try {
      return compileTemplate(value);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const node = this.doc.getIn(path, true) as Scalar | undefined;
      // A block scalar (`|`) starts on the line after its indicator.
      const blockOffset = node && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') ? 1 : 0;
      this.problem(path, error.message, this.lineOf(path) + blockOffset + error.line - 1);
      return null;
    }
  }
}

export function parseConnectorSettings(text: string, fileName: string): ConnectorSettings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(doc.errors.map((error) => `${fileName}:${lines.linePos(error.pos[0]).line} YAML syntax: ${error.message.split('\n')[0]}`));
  }
  const read = new Reader(doc, lines, fileName);
  const root = doc.toJS() as unknown;
  if (!isRecord(root)) throw new ConfigFileError([`${fileName}:1 (top): must be a map with vendors, hubspot, contact, answers, call`]);
  read.map(root, [], ['vendors', 'hubspot', 'contact', 'answers', 'call']);

  const vendorsRaw = read.map(root['vendors'], ['vendors'], [...VENDOR_IDS]) ?? {};
  const vendors = {} as Record<VendorId, VendorSettings>;
  for (const vendor of VENDOR_IDS) vendors[vendor] = readVendor(read, vendorsRaw[vendor], vendor);

  const hubspotRaw = read.map(root['hubspot'], ['hubspot'], ['propertyGroup', 'uniquePhoneProperty', 'callsWithoutPhone']) ?? {};
  const hubspot: HubSpotSettings = {
    propertyGroup: read.propertyName(hubspotRaw['propertyGroup'] ?? 'ai_call_connector', ['hubspot', 'propertyGroup']) ?? 'ai_call_connector',
    uniquePhoneProperty: read.propertyName(hubspotRaw['uniquePhoneProperty'] ?? 'ai_call_phone_e164', ['hubspot', 'uniquePhoneProperty']) ?? 'ai_call_phone_e164',
    callsWithoutPhone: read.oneOf(hubspotRaw['callsWithoutPhone'], ['hubspot', 'callsWithoutPhone'], ['dead-letter', 'log-without-contact'] as const, 'dead-letter'),
  };
  for (const key of ['propertyGroup', 'uniquePhoneProperty'] as const) {
    if (hubspot[key].startsWith('hs_')) read.problem(['hubspot', key], 'must not start with hs_ (HubSpot\'s own names)');
  }

  const contact = readContact(read, root['contact']);
  const answers = readAnswers(read, root['answers']);
  const call = readCall(read, root['call']);

  const origins: Record<string, string> = {};
  for (const mapping of [...contact.properties, ...call.properties]) origins[`${contact.properties.includes(mapping) ? 'contacts' : 'calls'}.${mapping.property}`] = mapping.origin;
  for (const answer of answers) origins[`${answer.to === 'contact' ? 'contacts' : 'calls'}.${answer.property}`] ??= answer.origin;
  if (read.problems.length > 0) throw new ConfigFileError(read.problems);
  return { vendors, hubspot, contact, answers, call, origins };
}

function readVendor(read: Reader, raw: unknown, vendor: VendorId): VendorSettings {
  const path: Path = ['vendors', vendor];
  const settings: VendorSettings = {
    enabled: true,
    timeZone: 'Asia/Shanghai',
    defaultRegion: 'CN',
    intentions: {},
    allowedIps: [],
    events: { create: [...CALL_EVENTS[vendor]], update: [] },
    reply: vendor === 'voicefox' ? {} : { code: 0, message: 'ok', received: '{{received}}', stored: '{{stored}}', duplicates: '{{duplicates}}' },
  };
  const map = read.map(raw, path, ['enabled', 'timeZone', 'defaultRegion', 'intentions', 'allowedIps', 'events', 'reply']);
  if (!map) return settings;
  settings.enabled = read.bool(map['enabled'], [...path, 'enabled'], true);
  settings.timeZone = read.text(map['timeZone'], [...path, 'timeZone'], settings.timeZone, (zone) => (isValidTimeZone(zone) ? null : 'must be an IANA time zone such as Asia/Shanghai')) ?? settings.timeZone;
  settings.defaultRegion =
    read.text(map['defaultRegion'], [...path, 'defaultRegion'], settings.defaultRegion, (region) => (isSupportedRegion(region) ? null : 'must be a two-letter region code such as CN')) ?? settings.defaultRegion;

  const intentions = map['intentions'];
  if (intentions !== undefined && intentions !== null && !isRecord(intentions)) {
    read.problem([...path, 'intentions'], 'must be a map of vendor value to label');
  } else if (intentions) {
    for (const [code, entry] of Object.entries(intentions)) {
      const entryPath = [...path, 'intentions', code];
      if (typeof entry === 'string' && entry.trim() !== '') settings.intentions[code] = { label: entry.trim(), outcome: null };
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
    const known = CALL_EVENTS[vendor];
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

function readPropertyMappings(read: Reader, raw: unknown, path: Path, defaultMode: WriteMode): PropertyMapping[] {
  return read.list(raw, path).flatMap((entry, index): PropertyMapping[] => {
    const entryPath = [...path, index];
    const map = read.map(entry, entryPath, ['source', 'template', 'property', 'mode']);
    if (!map) {
      if (entry === null || entry === undefined) read.problem(entryPath, 'must be a map with source (or template), property and mode');
      return [];
    }
    const property = read.propertyName(map['property'], [...entryPath, 'property']);
    const mode = readMode(read, map['mode'], [...entryPath, 'mode'], defaultMode);
    let source: string | null = null;
    let template: CompiledTemplate | null = null;
    if (map['source'] !== undefined && map['template'] !== undefined) read.problem(entryPath, 'takes a source or a template, not both');
    else if (map['source'] !== undefined) {
      if (typeof map['source'] !== 'string' || !isKnownSource(map['source'])) {
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a YAML mapping shows as [object Object]; the path says where
        read.problem([...entryPath, 'source'], `unknown field "${String(map['source'])}" (known: ${Object.keys(SOURCE_FIELDS).join(', ')}, extras.<name>)`);
      } else source = map['source'];
    } else if (map['template'] !== undefined) template = read.template(map['template'], [...entryPath, 'template']);
    else read.problem(entryPath, 'needs a source or a template');
    if (!property || (!source && !template)) return [];
    return [{ property, source, template, mode, origin: read.where(entryPath) }];
  });
}

function readContact(read: Reader, raw: unknown): ContactSettings {
  const settings: ContactSettings = {
    create: true,
    defaultName: null,
    lifecycleStage: null,
    marketingContact: false,
    properties: [
      { property: 'firstname', source: 'customer.name', template: null, mode: 'fill-if-empty', origin: 'built-in default' },
      { property: 'email', source: 'customer.email', template: null, mode: 'fill-if-empty', origin: 'built-in default' },
      { property: 'company', source: 'customer.company', template: null, mode: 'fill-if-empty', origin: 'built-in default' },
    ],
  };
  const map = read.map(raw, ['contact'], ['create', 'defaultName', 'lifecycleStage', 'marketingContact', 'properties']);
  if (!map) return settings;
  settings.create = read.bool(map['create'], ['contact', 'create'], true);
  settings.defaultName = read.text(map['defaultName'], ['contact', 'defaultName'], null);
  settings.lifecycleStage = map['lifecycleStage'] === undefined || map['lifecycleStage'] === null ? null : read.propertyName(map['lifecycleStage'], ['contact', 'lifecycleStage']);
  settings.marketingContact = read.bool(map['marketingContact'], ['contact', 'marketingContact'], false);
  if (map['properties'] !== undefined) settings.properties = readPropertyMappings(read, map['properties'], ['contact', 'properties'], 'fill-if-empty');
  return settings;
}

function readAnswers(read: Reader, raw: unknown): AnswerMapping[] {
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

function readCall(read: Reader, raw: unknown): CallSettings {
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
      property: intention['property'] === undefined ? settings.intention.property : read.propertyName(intention['property'], ['call', 'intention', 'property']) ?? settings.intention.property,
      as: read.oneOf(intention['as'], ['call', 'intention', 'as'], ['select', 'text'] as const, 'select'),
    };
  }
  const tags = read.map(map['tags'], ['call', 'tags'], ['property', 'as']);
  if (tags) {
    settings.tags = {
      property: tags['property'] === undefined ? settings.tags.property : read.propertyName(tags['property'], ['call', 'tags', 'property']) ?? settings.tags.property,
      as: read.oneOf(tags['as'], ['call', 'tags', 'as'], ['multi-select', 'text'] as const, 'multi-select'),
    };
  }
  settings.properties = readPropertyMappings(read, map['properties'], ['call', 'properties'], 'overwrite');
  return settings;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** An allow-list matcher for a vendor's `allowedIps`; null when the list is empty (any sender). */
export function buildAllowList(entries: string[]): BlockList | null {
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.trim().split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/** Vendor intention value → label, as the mappers take it. */
export function intentionLabels(settings: VendorSettings): Record<string, string> {
  return Object.fromEntries(Object.entries(settings.intentions).map(([code, entry]) => [code, entry.label]));
}
