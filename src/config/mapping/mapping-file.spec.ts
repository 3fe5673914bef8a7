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
      'config/mapping.yaml:2 contacts: unknown setting (known: vendors, hubspot, contact, answers, call, recordings)',
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

  it('refuses a NUL character or a lone surrogate, written in the text or as an escape, with its line', () => {
    // PostgreSQL's text refuses a NUL (the stored mapping version would fail); UTF-8 cannot hold a lone surrogate.
    expect(problemsOf('vendors:\n  yunfu: {}\ncall:\n  title: "AI\u0000call"\n')).toEqual([
      'config/mapping.yaml:4 the line must not contain the NUL character (U+0000)',
    ]);
    expect(problemsOf('# a note\u0000\nvendors:\n  yunfu: {}\n')).toEqual([
      'config/mapping.yaml:1 the line must not contain the NUL character (U+0000)',
    ]);
    expect(problemsOf('vendors:\n  yunfu: {}\ncall:\n  title: "AI\\0call"\n')).toEqual([
      'config/mapping.yaml:4 the value must not contain the NUL character (U+0000)',
    ]);
    expect(problemsOf('vendors:\n  yunfu: {}\ncall:\n\n  title: "AI\\ud800call"\n')).toEqual([
      'config/mapping.yaml:5 the value must be well-formed Unicode text (it holds a lone surrogate)',
    ]);
    expect(problemsOf('vendors:\n  yunfu: {}\ncall:\n  title: "AI\\u00e9 call"\n')).toEqual([]);
  });

  it('reports every problem of a file at once', () => {
    expect(problemsOf('vendors:\n  yunfu:\n    timeZone: Nowhere\ncontact:\n  create: maybe\n')).toHaveLength(2);
  });
});

describe('recordings', () => {
  it('keeps recordings as private attachments in /ai-calls unless the file says otherwise', () => {
    expect(parseConnectorSettings('vendors: {}\n', 'f').recordings).toEqual({ mode: 'attach', folder: '/ai-calls' });
    const shipped = parseConnectorSettings(readFileSync(join(CONFIG_DIR, 'mapping.yaml'), 'utf8'), 'mapping.yaml');
    expect(shipped.recordings).toEqual({ mode: 'attach', folder: '/ai-calls' });
    expect(parseConnectorSettings('recordings:\n  mode: link\n  folder: /calls/ai/\n', 'f').recordings).toEqual({
      mode: 'link',
      folder: '/calls/ai',
    });
    // A bare `off` read as YAML 1.1 would read it (false) is off too.
    expect(parseConnectorSettings('recordings:\n  mode: off\n', 'f').recordings.mode).toBe('off');
    expect(parseConnectorSettings('recordings:\n  mode: false\n', 'f').recordings.mode).toBe('off');
  });

  it('names a wrong mode, a folder that is not a path, and an unknown key with their line', () => {
    expect(problemsOf('recordings:\n  mode: keep\n')).toEqual([
      'config/mapping.yaml:2 recordings.mode: must be one of off, attach, link',
    ]);
    expect(problemsOf('recordings:\n  folder: ai-calls\n')[0]).toMatch(
      /^config\/mapping.yaml:2 recordings.folder: must be a folder path/,
    );
    expect(problemsOf('recordings:\n  folder: /ai/../secret\n')[0]).toMatch(/recordings.folder/);
    expect(problemsOf('recordings:\n  access: public\n')[0]).toMatch(/^config\/mapping.yaml:2 recordings/);
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
    expect(problemsOf('vendors:\n  voicefox:\n    auth: { scheme: secret, from: [] }\n')).toEqual([
      'config/mapping.yaml:3 vendors.voicefox.auth: the secret scheme needs from (header names, or path)',
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

describe('vendors.<id>.definition: a vendor defined in the mapping', () => {
  const defined = (definition: string, section = '') =>
    [
      'vendors:',
      '  bland:',
      '    defaultRegion: US',
      '    auth: { scheme: hmac, signatureHeader: X-Webhook-Signature, payload: "{body}" }',
      ...section.split('\n').filter(Boolean),
      '    definition:',
      '      displayName: Bland AI',
      '      secretSetting: BLAND_WEBHOOK_SECRET',
      ...definition.split('\n').filter(Boolean),
    ].join('\n');

  it('reads a definition with its defaults: one fixed event, keyed by the call id', () => {
    const settings = parseConnectorSettings(defined('      fields: { callId: call.id }'), 'f');
    expect(settings.vendors['bland']).toMatchObject({
      timeZone: 'UTC',
      defaultRegion: 'US',
      events: { create: ['call'], update: [] },
      auth: { kind: 'hmac', signatureHeader: 'x-webhook-signature', signedPayload: '{body}' },
      definition: {
        displayName: 'Bland AI',
        secretSetting: 'BLAND_WEBHOOK_SECRET',
        eventNamePath: null,
        fixedEventName: 'call',
        eventKey: [['call', 'id']],
        callEvents: { call: 'result' },
        fields: { callId: ['call', 'id'], direction: { map: null, fallback: null }, answers: [], extras: {} },
      },
    });
    // Built-in vendors keep their sections and have no definition.
    expect(settings.vendors['voicefox']?.definition).toBeNull();
  });

  it('keys named events by the call id and the event name unless eventKey says otherwise', () => {
    const settings = parseConnectorSettings(
      defined(
        [
          '      eventName: { path: message.type }',
          '      callEvents: { call-started: start, end-of-call-report: result }',
          '      fields: { callId: message.call.id }',
        ].join('\n'),
        '    events: { create: [end-of-call-report], update: [call-started] }',
      ),
      'f',
    );
    expect(settings.vendors['bland']?.definition).toMatchObject({
      eventNamePath: ['message', 'type'],
      eventKey: [
        ['message', 'call', 'id'],
        ['message', 'type'],
      ],
      callEvents: { 'call-started': 'start', 'end-of-call-report': 'result' },
    });
    expect(settings.vendors['bland']?.events).toEqual({ create: ['end-of-call-report'], update: ['call-started'] });
  });

  it.each([
    [
      'a definition of a built-in vendor',
      'vendors:\n  voicefox:\n    definition: { displayName: V }\n',
      'config/mapping.yaml:3 vendors.voicefox.definition: voicefox is built in: its definition is in code',
    ],
    [
      'no auth',
      'vendors:\n  bland:\n    defaultRegion: US\n    definition:\n      displayName: B\n      secretSetting: BLAND_WEBHOOK_SECRET\n      fields: { callId: call_id }\n',
      'config/mapping.yaml:3 vendors.bland: a vendor defined here needs auth',
    ],
    [
      'a secret setting that is not a secret',
      defined('      fields: { callId: call_id }').replace('BLAND_WEBHOOK_SECRET', 'DATABASE_URL'),
      'config/mapping.yaml:7 vendors.bland.definition.secretSetting: must be an upper-case environment setting name ending in _SECRET or _KEY, such as BLAND_WEBHOOK_SECRET',
    ],
    [
      'a secret setting longer than an environment setting may be',
      defined('      fields: { callId: call_id }').replace('BLAND_WEBHOOK_SECRET', `BLAND_${'X'.repeat(55)}_SECRET`),
      `config/mapping.yaml:7 vendors.bland.definition.secretSetting: must be an upper-case environment setting name ending in _SECRET or _KEY, such as BLAND_WEBHOOK_SECRET`,
    ],
    [
      'a quoted key that is not JSON text',
      defined('      fields: { callId: \'variables["\\x"]\' }'),
      'config/mapping.yaml:8 vendors.bland.definition.fields.callId: has a quoted key that is not valid JSON text (at "["\\x"]")',
    ],
    [
      'a key without the event name for a call of several events',
      defined(
        '      eventName: { path: type }\n      callEvents: { call_started: start, call_ended: hangup }\n      eventKey: [call_id]\n      fields: { callId: call_id }',
      ),
      'config/mapping.yaml:10 vendors.bland.definition.eventKey: must include the event name path: the call has several events, and under one key each would replace the other',
    ],
    [
      "another vendor's secret setting",
      defined('      fields: { callId: call_id }').replace('BLAND_WEBHOOK_SECRET', 'VOICEFOX_WEBHOOK_SECRET'),
      "config/mapping.yaml:7 vendors.bland.definition.secretSetting: VOICEFOX_WEBHOOK_SECRET is already voicefox's secret",
    ],
    [
      'no call id',
      defined('      fields: { summary: summary }'),
      'config/mapping.yaml:8 vendors.bland.definition.fields: needs callId: the path of the call id',
    ],
    [
      'a path that is not one',
      defined('      fields:\n        callId: call_id\n        summary: "analysis..summary"'),
      'config/mapping.yaml:10 vendors.bland.definition.fields.summary: has a dot that is not followed by a key',
    ],
    [
      'a duration without its unit',
      defined('      fields:\n        callId: call_id\n        duration: { path: corrected_duration }'),
      "config/mapping.yaml:10 vendors.bland.definition.fields.duration: needs unit (s, ms, min): what one of the vendor's numbers is",
    ],
    [
      'a time pattern with a letter it does not know',
      defined(
        '      fields:\n        callId: call_id\n        startedAt: { path: started_at, format: "dd/MM/yyyy hh:mm" }',
      ),
      'config/mapping.yaml:10 vendors.bland.definition.fields.startedAt.format: must be auto, iso, epoch-s, epoch-ms or a pattern such as yyyy-MM-dd HH:mm:ss: "h" is not a pattern letter (yyyy MM M dd d HH H mm ss SSS)',
    ],
    [
      'an outcome that is not one',
      defined('      fields:\n        callId: call_id\n        outcome: { path: status, values: { completed: done } }'),
      'config/mapping.yaml:10 vendors.bland.definition.fields.outcome.values.completed: must be one of answered, no_answer, busy, failed',
    ],
    [
      'from and to numbers without a direction',
      defined('      fields:\n        callId: call_id\n        fromNumber: from\n        toNumber: to'),
      'config/mapping.yaml:9 vendors.bland.definition.fields: fromNumber/toNumber need direction: it tells which number is the customer',
    ],
    [
      'named events without the events that carry a call',
      defined('      eventName: { path: type }\n      fields: { callId: call_id }'),
      'config/mapping.yaml:6 vendors.bland.definition: needs callEvents: the event names that carry a call',
    ],
    [
      'an event to create the call that carries none',
      defined('      fields: { callId: call_id }', '    events: { create: [call_ended] }'),
      'config/mapping.yaml:5 vendors.bland.events.create[0]: must be one of call',
    ],
    [
      'answers from a map with sub-paths',
      defined('      fields:\n        callId: call_id\n        answers:\n          - { map: analysis, answer: value }'),
      'config/mapping.yaml:11 vendors.bland.definition.fields.answers[0].answer: is for list answers: in a map, each key is the question',
    ],
    [
      'an unknown field',
      defined('      fields:\n        callId: call_id\n        phone: to'),
      /^config\/mapping\.yaml:10 vendors\.bland\.definition\.fields\.phone: unknown setting \(known: callId, customerNumber, /,
    ],
  ])('fails on %s with file:line:path', (_name, yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems).toHaveLength(1);
    if (typeof expected === 'string') expect(problems[0]).toBe(expected);
    else expect(problems[0]).toMatch(expected);
  });
});
