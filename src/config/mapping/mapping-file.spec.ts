import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConnectorSettings } from './mapping-file.js';
import { ConfigFileError } from './mapping-settings.js';

const CONFIG_DIR = join(import.meta.dirname, '../../../config');

const problemsOf = (yaml: string): string[] => {
  try {
    parseConnectorSettings(yaml, 'config/mapping.yaml');
  } catch (error) {
    if (error instanceof ConfigFileError) return error.problems;
    throw error;
  }
  return [];
};

describe('config/mapping.yaml', () => {
  it('reads the shipped file', () => {
    const settings = parseConnectorSettings(readFileSync(join(CONFIG_DIR, 'mapping.yaml'), 'utf8'), 'mapping.yaml');
    expect(settings.vendors.yunfu).toMatchObject({
      enabled: true,
      timeZone: 'Asia/Shanghai',
      defaultRegion: 'CN',
      allowedIps: [],
      events: { create: ['call.success'], update: [] },
    });
    expect(settings.vendors['yunfu']?.intentions['1']).toEqual({ label: 'A', outcome: null });
    expect(settings.vendors['voicefox']?.reply).toEqual({});
    expect(settings.contact.properties.map((mapping) => [mapping.source, mapping.property, mapping.mode])).toEqual([
      ['customer.name', 'firstname', 'fill-if-empty'],
      ['customer.email', 'email', 'fill-if-empty'],
      ['customer.company', 'company', 'fill-if-empty'],
      ['location.city', 'city', 'fill-if-empty'],
      ['location.province', 'state', 'fill-if-empty'],
    ]);
    expect(settings.call.intention).toEqual({ property: 'ai_call_intention', as: 'select' });
  });

  it("takes a vendor's update-only events from its definition when the file does not name its events", () => {
    // ElevenLabs' audio names only the conversation: it updates the call its transcription creates, never creates one.
    const settings = parseConnectorSettings('vendors:\n  voicefox: {}\n', 'config/mapping.yaml');
    expect(settings.vendors['elevenlabs']?.events).toEqual({
      create: ['post_call_transcription', 'call_initiation_failure'],
      update: ['post_call_audio'],
    });
    expect(settings.vendors['voicefox']?.events.update).toEqual([]);
  });

  it('validates every example shipped in config/examples', () => {
    const examples = readdirSync(join(CONFIG_DIR, 'examples')).filter((name) => name.endsWith('.yaml'));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const name of examples) {
      expect(problemsOf(readFileSync(join(CONFIG_DIR, 'examples', name), 'utf8')), name).toEqual([]);
    }
  });

  it('takes defaults for what it does not mention', () => {
    const settings = parseConnectorSettings('vendors:\n  yunfu: {}\n', 'f');
    expect(settings.vendors.voicefox).toMatchObject({
      enabled: true,
      timeZone: 'Asia/Shanghai',
      defaultRegion: 'CN',
      intentions: {},
      allowedIps: [],
    });
    expect(settings.hubspot).toEqual({
      propertyGroup: 'ai_call_connector',
      uniquePhoneProperty: 'ai_call_phone_e164',
      callsWithoutPhone: 'dead-letter',
    });
    expect(settings.contact.create).toBe(true);
  });

  // Each broken config fails with the file, the line and the path of the setting.
  const padTo = (line: number, yaml: string): string => `${'# padding\n'.repeat(line - 1)}${yaml}`;
  it.each([
    ['a YAML syntax error', 'vendors:\n  yunfu:\n    timeZone: [unclosed\n', /^config\/mapping\.yaml:4 YAML syntax: /],
    [
      'a key given twice',
      'vendors:\n  yunfu: {}\n  yunfu: {}\n',
      /^config\/mapping\.yaml:3 YAML syntax: Map keys must be unique/,
    ],
    [
      'an unknown section',
      'vendors: {}\ncontacts: {}\n',
      'config/mapping.yaml:2 contacts: unknown setting (known: vendors, hubspot, contact, answers, call)',
    ],
    [
      'an unknown vendor',
      'vendors:\n  acme: {}\n',
      'config/mapping.yaml:2 vendors.acme: unknown setting (known: voicefox, yunfu, retell, vapi, elevenlabs)',
    ],
    [
      'a made-up time zone',
      'vendors:\n  yunfu:\n    timeZone: Mars/Olympus\n',
      'config/mapping.yaml:3 vendors.yunfu.timeZone: must be an IANA time zone such as Asia/Shanghai',
    ],
    [
      'a made-up region',
      'vendors:\n  voicefox:\n    defaultRegion: XX\n',
      'config/mapping.yaml:3 vendors.voicefox.defaultRegion: must be a two-letter region code such as CN',
    ],
    [
      'enabled as text',
      'vendors:\n  voicefox:\n    enabled: "yes"\n',
      'config/mapping.yaml:3 vendors.voicefox.enabled: must be true or false',
    ],
    [
      'a bad allow-list entry',
      'vendors:\n  yunfu:\n    allowedIps:\n      - 10.0.0.1\n      - 10.0.0.0/99\n',
      'config/mapping.yaml:5 vendors.yunfu.allowedIps[1]: must be an IP address or CIDR range such as 203.0.113.0/24',
    ],
    [
      'an unknown event',
      'vendors:\n  voicefox:\n    events:\n      create: [callin.collect, call.ended]\n',
      'config/mapping.yaml:4 vendors.voicefox.events.create[1]: must be one of callin.collect, task.call.collect, callin.hangup, callin.transfer',
    ],
    [
      'an event that both creates and updates',
      'vendors:\n  voicefox:\n    events:\n      create: [callin.collect]\n      update: [callin.collect]\n',
      'config/mapping.yaml:4 vendors.voicefox.events: callin.collect cannot be in both create and update',
    ],
    [
      'an intention without a label',
      'vendors:\n  yunfu:\n    intentions:\n      "1": { outcome: connected }\n',
      'config/mapping.yaml:4 vendors.yunfu.intentions.1: needs a label',
    ],
    [
      'a reply that is not a map',
      'vendors:\n  yunfu:\n    reply: ok\n',
      'config/mapping.yaml:3 vendors.yunfu.reply: must be a map (the JSON body of the reply)',
    ],
    [
      'an hs_ unique property',
      'hubspot:\n  uniquePhoneProperty: hs_phone\n',
      "config/mapping.yaml:2 hubspot.uniquePhoneProperty: must not start with hs_ (HubSpot's own names)",
    ],
    [
      'an unknown policy for calls without a phone',
      'hubspot:\n  callsWithoutPhone: drop\n',
      'config/mapping.yaml:2 hubspot.callsWithoutPhone: must be one of dead-letter, log-without-contact',
    ],
    [
      'create as text',
      'contact:\n  create: sometimes\n',
      'config/mapping.yaml:2 contact.create: must be true or false',
    ],
    [
      'a write mode that does not exist',
      padTo(
        37,
        'contact:\n  properties:\n    - { source: customer.name, property: firstname, mode: fill-if-empty }\n    - { source: customer.email, property: email, mode: fill-if-empty }\n    - { source: customer.company, property: company }\n    - { source: location.city, property: city, mode: always }\n',
      ),
      'config/mapping.yaml:42 contact.properties[3].mode: must be one of overwrite, fill-if-empty, never',
    ],
    [
      'an unknown source field',
      'contact:\n  properties:\n    - { source: custmer.name, property: firstname }\n',
      /^config\/mapping\.yaml:3 contact\.properties\[0\]\.source: unknown field "custmer\.name" \(known: vendor, vendorName, /,
    ],
    [
      'a source and a template',
      'call:\n  properties:\n    - { source: score, template: "{{score}}", property: ai_call_score }\n',
      'config/mapping.yaml:3 call.properties[0]: takes a source or a template, not both',
    ],
    [
      'a property name HubSpot cannot have',
      'contact:\n  properties:\n    - { source: customer.name, property: First Name }\n',
      'config/mapping.yaml:3 contact.properties[0].property: must be a HubSpot property internal name (lowercase letters, digits and _)',
    ],
    [
      'an answer mapping without a question',
      'answers:\n  - { to: contact, property: email }\n',
      'config/mapping.yaml:2 answers[0]: needs questionId or question',
    ],
    [
      'an answer mapped to neither contact nor call',
      'answers:\n  - { questionId: q1, to: deal, property: amount }\n',
      'config/mapping.yaml:2 answers[0].to: must be one of contact, call',
    ],
    [
      'a title with an unknown field',
      'call:\n  title: "Call with {{customer.nam}}"\n',
      'config/mapping.yaml:2 call.title: unknown field "customer.nam"',
    ],
    [
      'a body with an unclosed block',
      'call:\n  body: |\n    <p>{{summary}}</p>\n    {{#if tags}}<p>{{#each tags}}{{.}} {{/each}}</p>\n    <p>end</p>\n',
      'config/mapping.yaml:4 call.body: {{#if}} is never closed',
    ],
    [
      'a loop field outside its loop',
      'call:\n  body: "{{#each answers}}{{question}}{{/each}} {{answer}}"\n',
      'config/mapping.yaml:2 call.body: unknown field "answer"',
    ],
    [
      'tags as something else',
      'call:\n  tags: { property: ai_call_tags, as: list }\n',
      'config/mapping.yaml:2 call.tags.as: must be one of multi-select, text',
    ],
  ])('fails on %s with file:line:path', (_name, yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems).toHaveLength(1);
    if (typeof expected === 'string') expect(problems[0]).toBe(expected);
    else expect(problems[0]).toMatch(expected);
  });

  it('reports every problem of a file at once', () => {
    expect(problemsOf('vendors:\n  yunfu:\n    timeZone: Nowhere\ncontact:\n  create: maybe\n')).toHaveLength(2);
  });
});

describe('vendors.<id>.auth and maxBodyBytes', () => {
  it("keeps the vendor's own scheme unless auth is set, and reads each scheme with its defaults", () => {
    const plain = parseConnectorSettings('vendors:\n  voicefox: {}\n', 'f');
    expect(plain.vendors['voicefox']?.auth).toEqual({ kind: 'secret', from: ['authorization'] });
    expect(plain.vendors['voicefox']?.maxBodyBytes).toBeNull();

    const secret = parseConnectorSettings(
      'vendors:\n  voicefox:\n    auth: { scheme: secret, from: [X-Vapi-Secret, path] }\n    maxBodyBytes: 2097152\n',
      'f',
    );
    expect(secret.vendors['voicefox']?.auth).toEqual({ kind: 'secret', from: ['x-vapi-secret', 'path'] });
    expect(secret.vendors['voicefox']?.maxBodyBytes).toBe(2097152);

    const hmac = parseConnectorSettings(
      'vendors:\n  voicefox:\n    auth: { scheme: hmac, signatureHeader: X-Signature, timestampHeader: X-Timestamp }\n',
      'f',
    );
    expect(hmac.vendors['voicefox']?.auth).toEqual({
      kind: 'hmac',
      algorithm: 'sha256',
      encoding: 'hex',
      signatureHeader: 'x-signature',
      pairs: null,
      signaturePrefix: null,
      timestampHeader: 'x-timestamp',
      timestampUnit: 'auto',
      signedPayload: '{timestamp}.{body}',
      toleranceSeconds: 300,
    });
    const standard = parseConnectorSettings('vendors:\n  voicefox:\n    auth: { scheme: standard-webhooks }\n', 'f');
    expect(standard.vendors['voicefox']?.auth).toEqual({ kind: 'standard-webhooks', toleranceSeconds: 300 });
  });

  it('names each problem with its line', () => {
    expect(problemsOf('vendors:\n  voicefox:\n    auth: { from: [Authorization] }\n')).toEqual([
      'config/mapping.yaml:3 vendors.voicefox.auth: needs a scheme (secret, hmac, standard-webhooks)',
    ]);
    expect(
      problemsOf(
        [
          'vendors:',
          '  voicefox:',
          '    auth:',
          '      scheme: hmac',
          '      timestampHeader: "bad header"',
          "      payload: '{timestamp}'",
          '      toleranceSeconds: 0',
          '    maxBodyBytes: 10',
        ].join('\n'),
      ),
    ).toEqual([
      'config/mapping.yaml:4 vendors.voicefox.auth: the hmac scheme needs signatureHeader',
      'config/mapping.yaml:5 vendors.voicefox.auth.timestampHeader: must be an HTTP header name',
      'config/mapping.yaml:6 vendors.voicefox.auth.payload: must contain {body}: the raw body is what is signed',
      'config/mapping.yaml:7 vendors.voicefox.auth.toleranceSeconds: must be a whole number of seconds from 1 to 3600',
      'config/mapping.yaml:8 vendors.voicefox.maxBodyBytes: must be a whole number of bytes from 1024 to 67108864',
    ]);
    expect(
      problemsOf(
        "vendors:\n  voicefox:\n    auth: { scheme: hmac, signatureHeader: x-sig, timestampHeader: x-ts, payload: '{body}' }\n",
      ),
    ).toEqual([
      'config/mapping.yaml:3 vendors.voicefox.auth.payload: must contain {timestamp}: a timestamp that is not signed lets anyone replay a delivery',
    ]);
    expect(problemsOf('vendors:\n  voicefox:\n    auth: { scheme: secret, signatureHeader: x }\n')).toEqual([
      'config/mapping.yaml:3 vendors.voicefox.auth.signatureHeader: is not a setting of the secret scheme',
      'config/mapping.yaml:3 vendors.voicefox.auth: the secret scheme needs from (header names, or path)',
    ]);
  });
});

describe('vendors.<id>.analysisKeys', () => {
  it('defaults to intention and tags, and takes other keys (or null for none)', () => {
    expect(parseConnectorSettings('vendors:\n  voicefox: {}\n', 'f').vendors['voicefox']?.analysisKeys).toEqual({
      intention: 'intention',
      tags: 'tags',
    });
    const set = parseConnectorSettings(
      'vendors:\n  voicefox:\n    analysisKeys: { intention: lead_grade, tags: null }\n',
      'f',
    );
    expect(set.vendors['voicefox']?.analysisKeys).toEqual({ intention: 'lead_grade', tags: null });
    expect(problemsOf('vendors:\n  voicefox:\n    analysisKeys: { intent: x }\n')).toEqual([
      'config/mapping.yaml:3 vendors.voicefox.analysisKeys.intent: unknown setting (known: intention, tags)',
    ]);
  });
});
