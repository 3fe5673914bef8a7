import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument, visit } from 'yaml';
import { configuredVendor } from '../../vendors/configured/configured.vendor.js';
import type { WebhookAuthScheme } from '../../vendors/webhook-auth-scheme.js';
import { isVendorId, vendorDefinitions } from '../../vendors/vendors.js';
import { readDefinition } from './mapping-definition.js';
import { isRecord, Reader } from './mapping-reader.js';
import { readAnswers, readCall, readContact, readRecordings, readVendor } from './mapping-sections.js';
import {
  ConfigFileError,
  MAPPING_FILE,
  type ConnectorSettings,
  type HubSpotSettings,
  type VendorSettings,
} from './mapping-settings.js';
import { ownValue } from '../../common/own-value.js';
import { illFormedReason, isWellFormedText } from '../../common/payload-validation.js';

/**
 * Reads `config/mapping.yaml`: parsed and checked here without HubSpot (syntax, schema, source fields, templates);
 * checks against the portal's properties come after (see the provisioner's portal check).
 */

export function loadConnectorSettings(configDir: string): ConnectorSettings {
  return loadMappingFile(configDir).settings;
}

/** The file's text and what it says: the text is what instances sharing a store share (see `ConnectorConfig`). */
export interface LoadedMapping {
  text: string;
  settings: ConnectorSettings;
}

export function loadMappingFile(configDir: string): LoadedMapping {
  const { text, fileName } = readMappingText(configDir);
  return { text, settings: parseConnectorSettings(text, fileName) };
}

/** The file's text, and its name as problems show it (relative to the working directory where it is below it). */
export function readMappingText(configDir: string): { text: string; fileName: string } {
  const file = join(configDir, MAPPING_FILE);
  const fileName = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file) || file;
  try {
    return { text: readFileSync(file, 'utf8'), fileName };
  } catch {
    throw new ConfigFileError([`${fileName}: cannot read the file (CONFIG_DIR is ${configDir})`]);
  }
}

export function parseConnectorSettings(text: string, fileName: string): ConnectorSettings {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      doc.errors.map(
        (error) => `${fileName}:${lines.linePos(error.pos[0]).line} YAML syntax: ${error.message.split('\n')[0]}`,
      ),
    );
  }
  // A NUL character or a lone surrogate, in the text or in a value (a YAML escape such as "\0" or "\ud800"): no
  // store holds it as written (PostgreSQL's text refuses a NUL; UTF-8 has no lone surrogate), and nothing the
  // mapping names means it. Refused with its line, as a syntax error is.
  const illFormed: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (!isWellFormedText(line)) illFormed.push(`${fileName}:${index + 1} the line ${illFormedReason(line)}`);
  });
  if (illFormed.length === 0)
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string' && !isWellFormedText(node.value))
          illFormed.push(
            `${fileName}:${lines.linePos(node.range?.[0] ?? 0).line} the value ${illFormedReason(node.value)}`,
          );
      },
    });
  if (illFormed.length > 0) throw new ConfigFileError(illFormed);
  const read = new Reader(doc, lines, fileName);
  const root = doc.toJS() as unknown;
  if (!isRecord(root))
    throw new ConfigFileError([
      `${fileName}:1 (top): must be a map with vendors, hubspot, contact, answers, call, recordings`,
    ]);
  read.map(root, [], ['vendors', 'hubspot', 'contact', 'answers', 'call', 'recordings']);

  const vendors = readVendors(read, root['vendors']);

  const hubspotRaw =
    read.map(root['hubspot'], ['hubspot'], ['propertyGroup', 'uniquePhoneProperty', 'callsWithoutPhone']) ?? {};
  const hubspot: HubSpotSettings = {
    propertyGroup:
      read.propertyName(hubspotRaw['propertyGroup'] ?? 'ai_call_connector', ['hubspot', 'propertyGroup']) ??
      'ai_call_connector',
    uniquePhoneProperty:
      read.propertyName(hubspotRaw['uniquePhoneProperty'] ?? 'ai_call_phone_e164', [
        'hubspot',
        'uniquePhoneProperty',
      ]) ?? 'ai_call_phone_e164',
    callsWithoutPhone: read.oneOf(
      hubspotRaw['callsWithoutPhone'],
      ['hubspot', 'callsWithoutPhone'],
      ['dead-letter', 'log-without-contact'] as const,
      'dead-letter',
    ),
  };
  for (const key of ['propertyGroup', 'uniquePhoneProperty'] as const) {
    if (hubspot[key].startsWith('hs_')) read.problem(['hubspot', key], "must not start with hs_ (HubSpot's own names)");
  }

  const contact = readContact(read, root['contact']);
  const answers = readAnswers(read, root['answers']);
  const call = readCall(read, root['call']);
  const recordings = readRecordings(read, root['recordings']);

  const origins: Record<string, string> = {};
  for (const mapping of [...contact.properties, ...call.properties])
    origins[`${contact.properties.includes(mapping) ? 'contacts' : 'calls'}.${mapping.property}`] = mapping.origin;
  for (const answer of answers)
    origins[`${answer.to === 'contact' ? 'contacts' : 'calls'}.${answer.property}`] ??= answer.origin;
  if (read.problems.length > 0) throw new ConfigFileError(read.problems);
  return { vendors, hubspot, contact, answers, call, recordings, origins };
}

/** Stands in for a defined vendor's `auth` while its section is read: it is required there (and accepts nothing). */
const NO_AUTH: WebhookAuthScheme = { kind: 'secret', from: [] };

/**
 * `vendors`: each vendor built in (in code, `src/vendors/vendors.ts`), and each one defined here (`definition:`),
 * read the same way. Vendors defined in the mapping the connector started with are registered from it before this
 * runs (see `registerDefinedVendors`); one defined here that is not registered is read and checked all the same,
 * and is served once the connector restarts with it.
 */
function readVendors(read: Reader, raw: unknown): Record<string, VendorSettings> {
  const builtIn = vendorDefinitions().filter((definition) => !definition.definedInMapping);
  const builtInIds = builtIn.map((definition) => definition.id);
  const definedIds = isRecord(raw)
    ? Object.keys(raw).filter((id) => {
        const section = ownValue(raw, id);
        return !builtInIds.includes(id) && isRecord(section) && section['definition'] !== undefined;
      })
    : [];
  const vendorsRaw = read.map(raw, ['vendors'], [...builtInIds, ...definedIds]) ?? {};
  const vendors: Record<string, VendorSettings> = {};
  for (const definition of builtIn)
    vendors[definition.id] = readVendor(read, ownValue(vendorsRaw, definition.id), definition);
  const secretSettings = new Map(builtIn.map((definition) => [definition.secret.setting, definition.id]));
  for (const id of definedIds) {
    const section = ownValue(vendorsRaw, id) as Record<string, unknown>;
    if (!isVendorId(id)) {
      read.problem(['vendors', id], 'a vendor id must be 2-32 lowercase letters, digits or -, starting with a letter');
      continue;
    }
    const spec = readDefinition(read, section['definition'], ['vendors', id, 'definition']);
    if (!spec) continue;
    const owner = secretSettings.get(spec.secretSetting);
    if (owner !== undefined)
      read.problem(
        ['vendors', id, 'definition', 'secretSetting'],
        `${spec.secretSetting} is already ${owner}'s secret`,
      );
    secretSettings.set(spec.secretSetting, id);
    const stand = configuredVendor(id, spec, { auth: NO_AUTH, timeZone: 'UTC', defaultRegion: 'US' });
    vendors[id] = readVendor(read, section, stand, spec);
  }
  return vendors;
}
