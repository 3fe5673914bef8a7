import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InboxRepository } from '../../src/store/inbox.repository.js';
import { openMigratedStore } from '../../src/store/migrations/migrations.js';
import { vendorIds } from '../../src/vendors/vendors.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { createTestDatabase, POSTGRES_RUN } from '../support/postgres.js';
import { postJson, REPO_DIR, startTestApp, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/** Runs a built command-line tool (as `npm run …` does after building) with exactly the given environment. */
function runCli(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
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

const emulators: HubSpotEmulator[] = [];
let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
  for (const emulator of emulators.splice(0)) await emulator.close();
});

describe('npm run hubspot:setup', () => {
  it('creates what the connector writes, then finds it there on a second run', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const env = { HUBSPOT_ACCESS_TOKEN: 'pat-test', HUBSPOT_BASE_URL: emulator.url };
    const first = await runCli('hubspot-setup-cli.js', [], env);
    expect(first.code).toBe(0);
    expect(first.output).toContain('created   contacts.ai_call_phone_e164');
    expect(first.output).toContain('created   calls.ai_call_key');
    expect(first.output).toMatch(/Ready: 11 created, 0 already there/);
    const second = await runCli('hubspot-setup-cli.js', [], env);
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/Ready: 0 created, 11 already there/);
  });

  it('reports a property of the wrong type by name and exits non-zero, leaving it as it was', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const headers = { authorization: 'Bearer admin', 'content-type': 'application/json' };
    await fetch(`${emulator.url}/crm/v3/properties/calls/groups`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'ai_call_connector', label: 'AI calls' }),
    });
    const created = await fetch(`${emulator.url}/crm/v3/properties/calls`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'ai_call_score',
        label: 'Score',
        type: 'string',
        fieldType: 'text',
        groupName: 'ai_call_connector',
      }),
    });
    expect(created.status).toBe(201);
    const result = await runCli('hubspot-setup-cli.js', [], {
      HUBSPOT_ACCESS_TOKEN: 'pat-test',
      HUBSPOT_BASE_URL: emulator.url,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('PROBLEM   calls.ai_call_score is of type string; the connector needs number');
    const property = (await (
      await fetch(`${emulator.url}/crm/v3/properties/calls/ai_call_score`, { headers })
    ).json()) as { type: string };
    expect(property.type).toBe('string');
  });

  it('names a scope the token lacks (a service key without crm.schemas.contacts.write), exits non-zero and creates nothing', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    emulator.setAuth({ missingScopes: ['crm.schemas.contacts.write'] });
    const result = await runCli('hubspot-setup-cli.js', [], {
      HUBSPOT_ACCESS_TOKEN: 'pat-test',
      HUBSPOT_BASE_URL: emulator.url,
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain('(API version 2026-09)');
    expect(result.output).toContain(
      "MISSING SCOPE   crm.schemas.contacts.write (to create the connector's properties and add intention and tag options)",
    );
    expect(result.output.match(/MISSING SCOPE/g)).toHaveLength(1);
    const property = await fetch(`${emulator.url}/crm/v3/properties/contacts/ai_call_phone_e164`, {
      headers: { authorization: 'Bearer admin' },
    });
    expect(property.status).toBe(404);
  });

  it('names the files scope while recordings are kept, and asks for it no more once they are off', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    emulator.setAuth({ missingScopes: ['files'] });
    const env = { HUBSPOT_ACCESS_TOKEN: 'pat-test', HUBSPOT_BASE_URL: emulator.url };
    const kept = await runCli('hubspot-setup-cli.js', [], env);
    expect(kept.code).toBe(1);
    expect(kept.output).toContain(
      "MISSING SCOPE   files (to keep call recordings in HubSpot's File Manager; or set recordings.mode: off in config/mapping.yaml)",
    );
    expect(kept.output.match(/MISSING SCOPE/g)).toHaveLength(1);

    const dir = mkdtempSync(join(tmpdir(), 'setup-recordings-off-'));
    try {
      const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
      const off = shipped.replace(/^(\s+)mode: attach\b/m, '$1mode: off');
      expect(off).not.toBe(shipped);
      writeFileSync(join(dir, 'mapping.yaml'), off);
      const result = await runCli('hubspot-setup-cli.js', [], { ...env, CONFIG_DIR: dir });
      expect(result.output).not.toContain('MISSING SCOPE');
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what to do without a token', async () => {
    const result = await runCli('hubspot-setup-cli.js', [], {});
    expect(result.code).toBe(2);
    expect(result.output).toContain('HUBSPOT_ACCESS_TOKEN is not set');
  });
});

describe('npm run replay -- --dead', () => {
  it('sends dead events through again once their cause is fixed', async () => {
    // Dead: an admin's own select property (the connector adds no options to it) lacks the call's grade.
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const options = (options: string[], method = 'PATCH') =>
      fetch(`${emulator.url}/crm/v3/properties/calls${method === 'PATCH' ? '/sales_grade' : ''}`, {
        method,
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({
          ...(method === 'POST'
            ? {
                name: 'sales_grade',
                label: 'Grade',
                type: 'enumeration',
                fieldType: 'select',
                groupName: 'callinformation',
              }
            : {}),
          options: options.map((value, index) => ({ label: value, value, displayOrder: index, hidden: false })),
        }),
      });
    expect((await options(['A'], 'POST')).status).toBe(201);
    t = await startTestApp({
      emulator,
      mappingYaml: 'call:\n  properties:\n    - { source: intention.label, property: sales_grade, mode: overwrite }\n',
    });
    const database = t.databaseUrl;
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'replay-me', number: chinaMobile(2), intention: 'Q' })]),
    );
    await t.settled();
    expect((await t.inbox.findByKey('yunfu', 'replay-me'))?.status).toBe('dead');

    expect((await options(['A', 'Q'])).status).toBe(200);
    const result = await runCli('replay-cli.js', ['--dead'], { DATABASE_URL: database });
    expect(result).toMatchObject({ code: 0, output: '1 dead event(s) queued again.\n' });
    await t.settled();
    expect((await t.inbox.findByKey('yunfu', 'replay-me'))?.status).toBe('synced');
    expect(
      t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === 'yunfu:replay-me'),
    ).toHaveLength(1);
  });

  it('refuses to run without --dead, saying how to use it', async () => {
    const result = await runCli('replay-cli.js', [], {});
    expect(result.code).toBe(2);
    expect(result.output).toContain('Usage: npm run replay -- --dead');
  });
});

describe('npm run config:check', () => {
  it('passes the shipped mapping, and checks it against HubSpot when there is a token', async () => {
    const offline = await runCli('config-check-cli.js', [], {});
    expect(offline).toMatchObject({ code: 0 });
    expect(offline.output).toContain(
      'mapping.yaml: valid. (Not checked against HubSpot: HUBSPOT_ACCESS_TOKEN is not set.)',
    );
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const online = await runCli('config-check-cli.js', [], {
      HUBSPOT_ACCESS_TOKEN: 'pat-test',
      HUBSPOT_BASE_URL: emulator.url,
    });
    expect(online.code).toBe(0);
    expect(online.output).toContain(`mapping.yaml: valid, and checked against HubSpot at ${emulator.url}.`);
  });

  it('exits 1 naming file, line and setting of each problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-check-'));
    try {
      writeFileSync(
        join(dir, 'mapping.yaml'),
        'contact:\n  properties:\n    - { source: customer.name, property: firstname, mode: sometimes }\ncall:\n  title: "{{nope}}"\n',
      );
      const result = await runCli('config-check-cli.js', [], { CONFIG_DIR: dir });
      expect(result.code).toBe(1);
      expect(result.output).toContain(
        'mapping.yaml:3 contact.properties[0].mode: must be one of overwrite, fill-if-empty, never',
      );
      expect(result.output).toContain('mapping.yaml:5 call.title: unknown field "nope"');
      expect(result.output).toContain('2 problem(s): the connector would refuse this mapping.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 when the portal lacks a mapped property', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const dir = mkdtempSync(join(tmpdir(), 'config-check-'));
    try {
      writeFileSync(
        join(dir, 'mapping.yaml'),
        'answers:\n  - { questionId: q1, to: contact, property: budget_band }\n',
      );
      const result = await runCli('config-check-cli.js', [], {
        CONFIG_DIR: dir,
        HUBSPOT_ACCESS_TOKEN: 'pat-test',
        HUBSPOT_BASE_URL: emulator.url,
      });
      expect(result.code).toBe(1);
      expect(result.output).toMatch(
        /mapping\.yaml:2 answers\[0\]\.property: HubSpot has no contact property "budget_band"/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run config:preview', () => {
  it('prints what a payload would write, without writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-preview-'));
    try {
      const result = await runCli(
        'config-preview-cli.js',
        [join(REPO_DIR, 'test/fixtures/yunfu/seed-inbound-success.json'), '--vendor', 'yunfu'],
        { DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}` },
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
        properties: { ai_call_phone_e164: '+8617534989887', city: '晋中' },
      });
      expect(preview.calls[0]!.call.properties).toMatchObject({
        hs_call_duration: '43000',
        ai_call_intention: 'A',
        hs_call_title: 'AI call (Yunfu, inbound) · intention A',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('previews a Vapi report under the shipped mapping: ms duration, direction, tags and answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-preview-'));
    try {
      const result = await runCli(
        'config-preview-cli.js',
        [join(REPO_DIR, 'test/fixtures/vapi/outbound-structured.json'), '--vendor', 'vapi'],
        { DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}` },
      );
      expect(result.code).toBe(0);
      const preview = JSON.parse(result.output) as {
        calls: Array<{ callKey: string; call: { properties: Record<string, string> } }>;
      };
      expect(preview.calls).toHaveLength(1);
      expect(preview.calls[0]!.callKey).toBe('vapi:7a2e9c41-6f3b-4d8a-b5e0-2c9d1f7a8e36');
      expect(preview.calls[0]!.call.properties).toMatchObject({
        hs_call_duration: '215831',
        hs_call_direction: 'OUTBOUND',
        hs_call_to_number: '+16505550143',
        ai_call_intention: 'hot',
        ai_call_tags: 'pricing;demo-request',
        hs_call_title: 'AI call (Vapi, outbound) · intention hot',
      });
      expect(preview.calls[0]!.call.properties['ai_call_answers']).toContain('companySize: 51-200');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says how to use it', async () => {
    const result = await runCli('config-preview-cli.js', [], {});
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      `Usage: npm run config:preview -- <payload.json> --vendor ${vendorIds().join('|')}`,
    );
    expect(vendorIds()).toEqual(expect.arrayContaining(['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs']));
  });
});

describe('npm run inbox -- prune-dead', () => {
  const DAY_MS = 86_400_000;

  it('counts first, prunes with --yes only dead events older than asked; pruned events are shown as such and not replayed', async () => {
    // A store of this run's dialect, filled as the worker would have: dead events of 100 and 10 days ago, and a
    // synced event whose payload retention pruned.
    const database = POSTGRES_RUN ? await createTestDatabase() : null;
    const dir = mkdtempSync(join(tmpdir(), 'prune-dead-'));
    const url = database?.url ?? `sqlite:${join(dir, 'connector.sqlite')}`;
    const db = await openMigratedStore(
      database ? database.settings() : { kind: 'sqlite', file: join(dir, 'connector.sqlite') },
    );
    try {
      const inbox = new InboxRepository(db);
      const settle = async (keys: string[], daysAgo: number, status: 'dead' | 'synced') => {
        const at = new Date(Date.now() - daysAgo * DAY_MS);
        const items = keys.map((eventKey) => ({
          eventKey,
          eventName: 'call.success',
          payload: { phone: '+8617534989887' },
        }));
        await inbox.storeDelivery('yunfu', items, 'corr-cli', at);
        const claimed = await inbox.claim(keys.length, 60_000, at);
        await inbox.completeAll(
          claimed.map((row) => ({
            id: row.id,
            revision: row.revision,
            outcome:
              status === 'dead'
                ? { status, error: 'HubSpot refused the call: Property values were not valid' }
                : { status, records: [], contactId: '11', callId: '22' },
          })),
          at,
        );
      };
      await settle(['dead-old-1', 'dead-old-2'], 100, 'dead');
      await settle(['dead-young'], 10, 'dead');
      await settle(['synced-old'], 40, 'synced');
      await inbox.prunePayloads(new Date(Date.now() - 30 * DAY_MS), 500, new Date());
      const env = { DATABASE_URL: url };

      const refused = await runCli('inbox-cli.js', ['prune-dead'], env);
      expect(refused.code).toBe(2);
      expect(refused.output).toContain(
        'prune-dead needs --older-than with a duration such as 90d (days) or 12h (hours)',
      );

      const counted = await runCli('inbox-cli.js', ['prune-dead', '--older-than', '90d'], env);
      expect(counted.code).toBe(0);
      expect(counted.output).toContain('2 dead event(s) that died over 90d ago still hold their payload.');
      expect(counted.output).toContain('Run again with --yes to prune them.');
      expect(await inbox.deadToPruneCount({ before: new Date(Date.now() - 90 * DAY_MS) })).toBe(2);

      const pruned = await runCli('inbox-cli.js', ['prune-dead', '--older-than', '90d', '--yes'], env);
      expect(pruned).toMatchObject({ code: 0 });
      expect(pruned.output).toContain('Pruned the payloads of 2 dead event(s) that died over 90d ago.');
      const rows = await inbox.list({ status: 'dead' });
      expect(rows.map((row) => [row.event_key, row.payload === '', row.pruned_at !== null])).toEqual([
        ['dead-old-1', true, true],
        ['dead-old-2', true, true],
        ['dead-young', false, false],
      ]);

      const listed = await runCli('inbox-cli.js', [], env);
      expect(listed.output).toContain('dead 3  (payload pruned: 3)');
      expect(listed.output).toMatch(/yunfu {2}call\.success {2}dead {2}rev 1 {2}\S+ {2}\(payload pruned\)/);
      const syncedOld = (await inbox.findByKey('yunfu', 'synced-old'))!;
      const shown = await runCli('inbox-cli.js', ['--show', String(syncedOld.id)], env);
      expect(shown.code).toBe(0);
      expect(JSON.parse(shown.output)).toMatchObject({
        status: 'synced',
        hubspotCallId: '22',
        calls: null,
        payloadPrunedAt: syncedOld.pruned_at,
        note: expect.stringContaining('payload pruned'),
      });
      expect(shown.output + listed.output).not.toContain('17534989887');

      const replayed = await runCli('replay-cli.js', ['--dead'], env);
      expect(replayed.code).toBe(0);
      expect(replayed.output).toBe(
        '1 dead event(s) queued again.\n2 dead event(s) not replayed: their payload was pruned (npm run inbox -- prune-dead), nothing is left to send.\n',
      );
    } finally {
      await db.destroy();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
