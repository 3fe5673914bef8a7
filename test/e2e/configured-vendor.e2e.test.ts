import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { vendorIds } from '../../src/vendors/vendors.js';
import { connectorDir, MAIN, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { fixture, fixtureText } from '../support/fixtures.js';
import { postJson, REPO_DIR, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Vendors defined only in config/mapping.yaml, with no line of code: Bland as shipped in config/examples/bland.yaml
 * (hex HMAC-SHA256 of the raw body, no timestamp), and a small Standard Webhooks vendor ("Relay Voice") signed with
 * the reference implementation (the `standardwebhooks` package), which cross-checks the connector's verifier. They
 * pass the same signature and dedupe tests as the built-in vendors, and their calls reach HubSpot (the emulator)
 * with the documented units.
 */
const BLAND_SECRET = 'bland-signing-secret-0123456789';
const RELAY_SECRET = `whsec_${Buffer.from('relay-signing-key-0123456789abcd').toString('base64')}`;

const RELAY_SECTION = `  relay:
    timeZone: Europe/London
    defaultRegion: GB
    auth: { scheme: standard-webhooks }
    definition:
      displayName: Relay Voice
      secretSetting: RELAY_WEBHOOK_SECRET
      eventName: { path: type }
      callEvents: { call.started: start, call.completed: result }
      fields:
        callId: data.call_id
        customerNumber: data.customer.phone
        lineNumber: data.agent_number
        customerName: data.customer.name
        direction: { path: data.direction, values: { in: inbound, out: outbound } }
        startedAt: { path: data.started, format: "dd/MM/yyyy HH:mm:ss" }
        endedAt: { path: data.ended_ms, format: epoch-ms }
        talkDuration: { path: data.talk_ms, unit: ms }
        outcome: { path: data.result, values: { ok: answered, busy: busy, unreachable: failed } }
        summary: data.summary
        sentiment: data.sentiment
        success: data.goal_met
        intention: data.grade
        tags: data.labels
        answers:
          - { list: data.qa, questionId: id, question: q, answer: a }
`;
const BLAND_YAML = readFileSync(join(REPO_DIR, 'config', 'examples', 'bland.yaml'), 'utf8');
const MAPPING = BLAND_YAML.replace('\n\nhubspot:', `\n${RELAY_SECTION.trimEnd()}\n\nhubspot:`).replace(
  /^answers: \[\]/m,
  'answers:\n  - { questionId: email, to: contact, property: email, mode: fill-if-empty }',
);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({
    env: { BLAND_WEBHOOK_SECRET: BLAND_SECRET, RELAY_WEBHOOK_SECRET: RELAY_SECRET },
    mappingYaml: MAPPING,
  });
});
afterAll(async () => {
  await t.close();
});

const blandSignature = (raw: string | Buffer, secret = BLAND_SECRET) =>
  createHmac('sha256', secret).update(raw).digest('hex');
const postBland = (raw: string, headers: Record<string, string>) => postJson(`${t.url}/webhooks/bland`, raw, headers);
const stored = async (vendor: string) => (await t.inbox.list({ vendor })).map((event) => event.event_key);

describe('a vendor defined in mapping.yaml (Bland, hex HMAC-SHA256 of the raw body)', () => {
  it('is registered from the mapping at start, beside the built-in vendors', () => {
    expect(vendorIds()).toEqual(['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs', 'bland', 'relay']);
  });

  it('refuses a wrong signature, a body altered by one byte, and a missing header, with 401 and nothing stored', async () => {
    const raw = fixtureText('bland', 'voicemail-no-analysis');
    const wrongKey = await postBland(raw, { 'x-webhook-signature': blandSignature(raw, 'another-secret-0123456789') });
    expect(wrongKey.status).toBe(401);
    expect(JSON.stringify(wrongKey.body)).toContain('wrong webhook signature');
    // One byte changed after signing: the duration "18" becomes "19".
    const altered = raw.replace('"corrected_duration": "18"', '"corrected_duration": "19"');
    expect(altered).not.toBe(raw);
    expect(altered.length).toBe(raw.length);
    expect((await postBland(altered, { 'x-webhook-signature': blandSignature(raw) })).status).toBe(401);
    const missing = await postBland(raw, {});
    expect(missing.status).toBe(401);
    expect(JSON.stringify(missing.body)).toContain('missing webhook signature (x-webhook-signature)');
    expect((await postBland(raw, { 'x-webhook-signature': 'not-hex' })).status).toBe(401);
    expect(await stored('bland')).toEqual([]);
  });

  it('takes a signed delivery once: the same call delivered again stores nothing new', async () => {
    const raw = fixtureText('bland', 'outbound-completed');
    const headers = { 'x-webhook-signature': blandSignature(raw) };
    const first = await postBland(raw, headers);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({});
    expect((await postBland(raw, headers)).status).toBe(200);
    expect(await stored('bland')).toEqual(['9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e']);
  });

  it('answers 400 naming the key path for a call without a usable id, and stores nothing', async () => {
    const raw = JSON.stringify({ ...fixture('bland', 'inbound-completed'), call_id: '   ' });
    const answer = await postBland(raw, { 'x-webhook-signature': blandSignature(raw) });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'invalid_payload', message: 'call_id: must not be empty or blank', field: 'call_id' },
    });
    expect(await stored('bland')).toEqual(['9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e']);
  });

  it('logs the call in HubSpot: E.164 numbers, OUTBOUND, duration in ms from seconds sent as text, UTC time', async () => {
    await t.settled();
    const [call] = t.emulator
      .listObjects('calls')
      .filter((object) => object.properties['ai_call_key'] === 'bland:9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e');
    expect(call).toBeDefined();
    const properties = call!.properties;
    expect(properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '167000',
      hs_call_from_number: '+14155552671',
      hs_call_to_number: '+16175550123',
      hs_call_status: 'COMPLETED',
      hs_call_recording_url: 'https://storage.bland.example/recordings/9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e.mp3',
      ai_call_vendor: 'Bland AI',
      ai_call_intention: 'A',
      ai_call_tags: 'QUALIFIED',
      ai_call_summary: expect.stringContaining('Dana Whitfield is interested in the premium plan'),
      ai_call_answers: 'team_size: 12\ncallback_time: Thursday afternoon\nbudget_approved: true',
    });
    const timestamp = properties['hs_timestamp']!;
    expect(new Date(/^\d+$/.test(timestamp) ? Number(timestamp) : timestamp).toISOString()).toBe(
      '2026-03-10T17:00:02.118Z',
    );
    const [contact] = t.emulator
      .listObjects('contacts')
      .filter((object) => object.properties['ai_call_phone_e164'] === '+16175550123');
    expect(contact!.properties).toMatchObject({ firstname: 'Dana Whitfield', company: 'Whitfield Dental Group' });
    expect(call!.associations.contacts).toEqual([contact!.id]);
  });
});

describe('a vendor defined in mapping.yaml signing with Standard Webhooks (signed by the reference package)', () => {
  const webhook = new Webhook(RELAY_SECRET);
  const completed = {
    type: 'call.completed',
    data: {
      call_id: 'rl-40417',
      direction: 'in',
      customer: { phone: '07911 123456', name: 'Amara Okafor' },
      agent_number: '020 7183 8750',
      started: '14/07/2026 09:30:05',
      ended_ms: 1784021525000,
      talk_ms: 95_400,
      result: 'ok',
      summary: 'Asked to move her delivery to Friday.',
      sentiment: 'Positive',
      goal_met: true,
      grade: 'B',
      labels: ['delivery', 'reschedule'],
      qa: [
        { id: 'email', q: 'Best email for the confirmation?', a: 'amara.okafor@example.co.uk' },
        { id: 'day', q: 'Which day suits you?', a: 'Friday' },
      ],
    },
  };
  const raw = JSON.stringify(completed);
  const signed = (body: string, at: Date, id = 'msg_2uYgXH0QdUM') => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': webhook.sign(id, at, body),
  });
  const postRelay = (body: string, headers: Record<string, string>) =>
    postJson(`${t.url}/webhooks/relay`, body, headers);

  it('refuses a wrong signature, an altered byte, a missing header and a timestamp 6 minutes old: 401, nothing stored', async () => {
    const now = new Date();
    const other = new Webhook(`whsec_${Buffer.from('another-key-of-32-bytes-long!!!!').toString('base64')}`);
    const wrong = { ...signed(raw, now), 'webhook-signature': other.sign('msg_2uYgXH0QdUM', now, raw) };
    expect((await postRelay(raw, wrong)).status).toBe(401);
    expect((await postRelay(raw.replace('rl-40417', 'rl-40418'), signed(raw, now))).status).toBe(401);
    const { 'webhook-signature': _signature, ...unsigned } = signed(raw, now);
    expect((await postRelay(raw, unsigned)).status).toBe(401);
    const stale = await postRelay(raw, signed(raw, new Date(now.getTime() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    expect(JSON.stringify(stale.body)).toContain('webhook signature timestamp is more than 300 s from now');
    expect(await stored('relay')).toEqual([]);
  });

  it('takes a signed event once (keyed by call id and event), and an event without a call by its name and content', async () => {
    expect((await postRelay(raw, signed(raw, new Date()))).status).toBe(200);
    // A retry is signed again with a new timestamp: the same event all the same.
    expect((await postRelay(raw, signed(raw, new Date(), 'msg_retry'))).status).toBe(200);
    const ringing = JSON.stringify({ type: 'call.ringing', data: { call_id: 'rl-40417' } });
    expect((await postRelay(ringing, signed(ringing, new Date(), 'msg_ring'))).status).toBe(200);
    const keys = (await stored('relay')).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^call\.ringing:[0-9a-f]{64}$/);
    expect(keys[1]).toBe('rl-40417:call.completed');
  });

  it('logs the call with the units converted: ms talk time, a London wall-clock time in UTC, E.164 numbers, INBOUND', async () => {
    await t.settled();
    expect((await t.inbox.list({ vendor: 'relay' })).find((event) => event.event_name === 'call.ringing')?.status).toBe(
      'skipped',
    );
    const [call] = t.emulator
      .listObjects('calls')
      .filter((object) => object.properties['ai_call_key'] === 'relay:rl-40417');
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'INBOUND',
      hs_call_duration: '95400',
      hs_call_from_number: '+447911123456',
      hs_call_to_number: '+442071838750',
      hs_call_status: 'COMPLETED',
      ai_call_vendor: 'Relay Voice',
      ai_call_intention: 'B',
      ai_call_tags: 'delivery;reschedule',
      ai_call_summary: 'Asked to move her delivery to Friday.',
    });
    const timestamp = call!.properties['hs_timestamp']!;
    // 09:30:05 in London in July is 08:30:05 UTC (summer time).
    expect(new Date(/^\d+$/.test(timestamp) ? Number(timestamp) : timestamp).toISOString()).toBe(
      '2026-07-14T08:30:05.000Z',
    );
    const [contact] = t.emulator
      .listObjects('contacts')
      .filter((object) => object.properties['ai_call_phone_e164'] === '+447911123456');
    // An answer mapped by the mapping's answers section, by its question id.
    expect(contact!.properties).toMatchObject({ firstname: 'Amara Okafor', email: 'amara.okafor@example.co.uk' });
  });
});

/** Runs a built command-line tool with exactly the given environment. */
function runCli(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_DIR, 'dist', 'cli', script), ...args], {
      cwd: REPO_DIR,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the tools and the start with a vendor defined in mapping.yaml', () => {
  const dirs: string[] = [];
  const processes: ConnectorProcess[] = [];
  afterEach(() => {
    for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const configDir = (yaml: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'configured-vendor-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'mapping.yaml'), yaml);
    return dir;
  };
  const broken = BLAND_YAML.replace('unit: s }', 'unit: seconds }').replace(
    'secretSetting: BLAND_WEBHOOK_SECRET',
    'secretSetting: bland-secret',
  );
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

  it('config:preview shows what a Bland call would write', async () => {
    expect(existsSync(MAIN), 'the build exists (npm test builds first)').toBe(true);
    const dir = configDir(BLAND_YAML);
    const result = await runCli(
      'config-preview-cli.js',
      [join(REPO_DIR, 'test/fixtures/bland/outbound-completed.json'), '--vendor', 'bland'],
      { CONFIG_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}` },
    );
    expect(result.code).toBe(0);
    const preview = JSON.parse(result.output) as {
      calls: Array<{
        contact: { action: string; properties: Record<string, string> };
        call: { properties: Record<string, string> };
      }>;
    };
    expect(preview.calls[0]!.contact).toMatchObject({
      action: 'create',
      properties: { ai_call_phone_e164: '+16175550123', firstname: 'Dana Whitfield' },
    });
    expect(preview.calls[0]!.call.properties).toMatchObject({
      hs_call_duration: '167000',
      hs_call_direction: 'OUTBOUND',
      hs_call_title: 'AI call (Bland AI, outbound) · intention A',
    });
    const usage = await runCli('config-preview-cli.js', [], { CONFIG_DIR: dir });
    expect(usage.output).toContain('--vendor voicefox|yunfu|retell|vapi|elevenlabs|bland');
  });

  it('config:check names each problem of a definition with its line, and says what needs a restart', async () => {
    const bad = await runCli('config-check-cli.js', [], { CONFIG_DIR: configDir(broken) });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain(
      `mapping.yaml:${lineOf(broken, 'secretSetting: bland-secret')} vendors.bland.definition.secretSetting: must be an upper-case environment setting name ending in _SECRET or _KEY`,
    );
    expect(bad.output).toContain(
      `mapping.yaml:${lineOf(broken, 'unit: seconds')} vendors.bland.definition.fields.duration.unit: must be one of s, ms, min`,
    );
    const good = await runCli('config-check-cli.js', [], { CONFIG_DIR: configDir(BLAND_YAML) });
    expect(good.code).toBe(0);
    expect(good.output).toContain(
      'vendors.bland: defined in mapping.yaml (Bland AI; BLAND_WEBHOOK_SECRET is NOT SET: its endpoint would answer 401).',
    );
    expect(good.output).toContain('adding or removing a defined vendor');
  });

  it('refuses to start on a broken definition, naming file, line and setting', async () => {
    const started = startConnectorProcess(connectorDir(broken), { PORT: '0', HUBSPOT_EMULATOR_PORT: '0' });
    processes.push(started);
    dirs.push(started.dir);
    expect((await started.exit).code).toBe(1);
    expect(started.output()).toContain(
      `Cannot start: Invalid configuration:\n  - config/mapping.yaml:${lineOf(broken, 'secretSetting: bland-secret')} vendors.bland.definition.secretSetting:`,
    );
  });
});
