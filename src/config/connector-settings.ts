import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { join, relative } from 'node:path';
import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import { isSupportedRegion } from '../vendors/phone-number.js';
import { isValidTimeZone } from '../vendors/vendor-time.js';

/** Per-vendor settings from `config/mapping.yaml` (`vendors:` section). */
export interface VendorSettings {
  enabled: boolean;
  timeZone: string;
  defaultRegion: string;
  /** Vendor intention value → normalised level or label. */
  intentions: Record<string, string>;
  /** Sender addresses or CIDR ranges allowed to post; empty means any sender with the secret. */
  allowedIps: string[];
}

export const VENDOR_IDS = ['voicefox', 'yunfu'] as const;
export type VendorId = (typeof VENDOR_IDS)[number];

/** What the connector writes in HubSpot (`hubspot:` section). */
export interface HubSpotSettings {
  /** Property group for the connector's properties on contacts and calls. */
  propertyGroup: string;
  /** The unique contact property holding the E.164 number (HubSpot allows 10 unique properties per object). */
  uniquePhoneProperty: string;
  callsWithoutPhone: 'dead-letter' | 'log-without-contact';
}

export interface ConnectorSettings {
  vendors: Record<VendorId, VendorSettings>;
  hubspot: HubSpotSettings;
}

export const DEFAULT_HUBSPOT_SETTINGS: HubSpotSettings = {
  propertyGroup: 'ai_call_connector',
  uniquePhoneProperty: 'ai_call_phone_e164',
  callsWithoutPhone: 'dead-letter',
};

export const MAPPING_FILE = 'mapping.yaml';

/** Problems found in a config file; each line is `file:line path: message`. */
export class ConfigFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigFileError';
  }
}

const VENDOR_KEYS = ['enabled', 'timeZone', 'defaultRegion', 'intentions', 'allowedIps'];
const TOP_KEYS = ['vendors', 'hubspot'];
const HUBSPOT_KEYS = ['propertyGroup', 'uniquePhoneProperty', 'callsWithoutPhone'];
/** HubSpot internal names: lowercase letters, digits and underscores, starting with a letter; `hs_` is HubSpot's. */
const INTERNAL_NAME = /^[a-z][a-z0-9_]{0,99}$/;

export function loadConnectorSettings(configDir: string): ConnectorSettings {
  const file = join(configDir, MAPPING_FILE);
  const shown = relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigFileError([`${shown}: cannot read the file (CONFIG_DIR points at ${relative(process.cwd(), configDir) || '.'})`]);
  }
  return parseConnectorSettings(text, shown);
}

export function parseConnectorSettings(text: string, fileName: string): ConnectorSettings {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = doc.errors.map((error) => {
    const line = lineCounter.linePos(error.pos[0]).line;
    return `${fileName}:${line} YAML syntax: ${error.message.split('\n')[0]}`;
  });
  if (problems.length > 0) throw new ConfigFileError(problems);

  const at = (path: (string | number)[]): string => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0] ?? findParentOffset(doc, path);
    return `${fileName}:${lineCounter.linePos(offset).line} ${path.join('.')}`;
  };
  const root = doc.toJS() as unknown;
  const vendorsRaw = isRecord(root) && isRecord(root['vendors']) ? root['vendors'] : null;
  if (!vendorsRaw) throw new ConfigFileError([`${fileName}:1 vendors: must be a map of vendor settings`]);

  for (const key of Object.keys(vendorsRaw)) {
    if (!(VENDOR_IDS as readonly string[]).includes(key)) problems.push(`${at(['vendors', key])}: unknown vendor (known: ${VENDOR_IDS.join(', ')})`);
  }
  for (const key of Object.keys(root as Record<string, unknown>)) {
    if (!TOP_KEYS.includes(key)) problems.push(`${at([key])}: unknown section (known: ${TOP_KEYS.join(', ')})`);
  }
  const vendors = {} as Record<VendorId, VendorSettings>;
  for (const vendor of VENDOR_IDS) {
    vendors[vendor] = readVendor(vendorsRaw[vendor], ['vendors', vendor], at, problems);
  }
  const hubspot = readHubSpot((root as Record<string, unknown>)['hubspot'], at, problems);
  if (problems.length > 0) throw new ConfigFileError(problems);
  return { vendors, hubspot };
}

function readHubSpot(raw: unknown, at: (path: (string | number)[]) => string, problems: string[]): HubSpotSettings {
  const settings = { ...DEFAULT_HUBSPOT_SETTINGS };
  if (raw === undefined || raw === null) return settings;
  if (!isRecord(raw)) {
    problems.push(`${at(['hubspot'])}: must be a map`);
    return settings;
  }
  for (const key of Object.keys(raw)) {
    if (!HUBSPOT_KEYS.includes(key)) problems.push(`${at(['hubspot', key])}: unknown setting (known: ${HUBSPOT_KEYS.join(', ')})`);
  }
  for (const key of ['propertyGroup', 'uniquePhoneProperty'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !INTERNAL_NAME.test(value) || value.startsWith('hs_')) {
      problems.push(`${at(['hubspot', key])}: must be a HubSpot internal name (lowercase letters, digits, _; not starting with hs_)`);
    } else settings[key] = value;
  }
  const withoutPhone = raw['callsWithoutPhone'];
  if (withoutPhone !== undefined) {
    if (withoutPhone !== 'dead-letter' && withoutPhone !== 'log-without-contact') {
      problems.push(`${at(['hubspot', 'callsWithoutPhone'])}: must be one of dead-letter, log-without-contact`);
    } else settings.callsWithoutPhone = withoutPhone;
  }
  return settings;
}

function readVendor(
  raw: unknown,
  path: string[],
  at: (path: (string | number)[]) => string,
  problems: string[],
): VendorSettings {
  const settings: VendorSettings = { enabled: true, timeZone: 'Asia/Shanghai', defaultRegion: 'CN', intentions: {}, allowedIps: [] };
  if (raw === undefined || raw === null) return settings;
  if (!isRecord(raw)) {
    problems.push(`${at(path)}: must be a map`);
    return settings;
  }
  for (const key of Object.keys(raw)) {
    if (!VENDOR_KEYS.includes(key)) problems.push(`${at([...path, key])}: unknown setting (known: ${VENDOR_KEYS.join(', ')})`);
  }
  if (raw['enabled'] !== undefined) {
    if (typeof raw['enabled'] !== 'boolean') problems.push(`${at([...path, 'enabled'])}: must be true or false`);
    else settings.enabled = raw['enabled'];
  }
  if (raw['timeZone'] !== undefined) {
    if (typeof raw['timeZone'] !== 'string' || !isValidTimeZone(raw['timeZone'])) {
      problems.push(`${at([...path, 'timeZone'])}: must be an IANA time zone such as Asia/Shanghai`);
    } else settings.timeZone = raw['timeZone'];
  }
  if (raw['defaultRegion'] !== undefined) {
    if (typeof raw['defaultRegion'] !== 'string' || !isSupportedRegion(raw['defaultRegion'])) {
      problems.push(`${at([...path, 'defaultRegion'])}: must be a two-letter region code such as CN`);
    } else settings.defaultRegion = raw['defaultRegion'];
  }
  const intentions = raw['intentions'];
  if (intentions !== undefined && intentions !== null) {
    if (!isRecord(intentions)) problems.push(`${at([...path, 'intentions'])}: must be a map of vendor value to label`);
    else {
      for (const [code, label] of Object.entries(intentions)) {
        if (typeof label !== 'string' || label.trim() === '') problems.push(`${at([...path, 'intentions', code])}: must be a non-empty label`);
        else settings.intentions[code] = label.trim();
      }
    }
  }
  const allowedIps = raw['allowedIps'];
  if (allowedIps !== undefined && allowedIps !== null) {
    if (!Array.isArray(allowedIps)) problems.push(`${at([...path, 'allowedIps'])}: must be a list of addresses or CIDR ranges`);
    else {
      allowedIps.forEach((entry: unknown, index) => {
        if (typeof entry !== 'string' || !isAddressOrRange(entry)) {
          problems.push(`${at([...path, 'allowedIps', index])}: must be an IP address or CIDR range such as 203.0.113.0/24`);
        } else settings.allowedIps.push(entry);
      });
    }
  }
  return settings;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findParentOffset(doc: Document, path: (string | number)[]): number {
  for (let depth = path.length - 1; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return isMap(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128);
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
