import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, REPO_DIR, startTestApp, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/** What operators read (stored errors, the inbox command, health, logs) names ids, never personal data. */
let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

function inboxCli(args: string[], database: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_DIR, 'dist', 'cli', 'inbox-cli.js'), ...args], {
      cwd: REPO_DIR,
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: database },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}

describe('operator output', () => {
  it("stores HubSpot's refusals with personal data masked, and the inbox command shows ids and outlines, not content", async () => {
    t = await startTestApp();
    const number = chinaMobile(5_000);
    // HubSpot refuses the malformed email, quoting it: the contact is written without it, with a warning.
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([
        { ...yunfuCall({ callid: 'masked-1', number }), customer_data: { name: '王芳', email: 'wang.fang@example' } },
      ]),
    );
    await t.settled();
    const row = (await t.inbox.findByKey('yunfu', 'masked-1'))!;
    expect(row.status).toBe('synced');
    expect(row.last_error).toContain("HubSpot refused some of the contact's values");
    expect(row.last_error).toContain('Email address *** is invalid');
    expect(row.last_error).toMatch(/\(VALIDATION_ERROR, correlation id [\w-]+\)$/);
    expect(row.last_error).not.toContain('wang.fang');
    process.stdout.write(`[operator] stored warning: ${row.last_error}\n`);

    const database = t.databaseUrl;
    const shown = await inboxCli(['--show', String(row.id)], database);
    const listed = await inboxCli([], database);
    for (const output of [shown, listed]) {
      for (const personal of ['wang.fang', '王芳', number, '晋中', 'download-voice'])
        expect(output).not.toContain(personal);
    }
    expect(JSON.parse(shown)).toMatchObject({
      id: row.id,
      status: 'synced',
      hubspotCallId: row.hubspot_call_id,
      calls: [{ vendorCallId: 'masked-1', hasCustomerPhone: true, tags: 1 }],
    });
  });

  it('health names the mapping file, not its folder; errors are logged with their class', async () => {
    t = await startTestApp();
    const health = (await (await fetch(`${t.url}/health/ready`)).json()) as { details: { config: { file: string } } };
    expect(health.details.config.file).toBe('mapping.yaml');
    expect(JSON.stringify(health)).not.toContain(t.dir);
    // An outage is logged with the error's class and message (the logger redacts every `name` key, so the class
    // is logged as `type`).
    await expect
      .poll(() => t!.logs.some((line) => line['msg'] === 'HubSpot token checked: every needed scope is granted'), {
        timeout: 10_000,
      })
      .toBe(true);
    // Once HubSpot has answered the token check, sync is `ok`, not `starting`, before any webhook.
    expect(
      ((await (await fetch(`${t.url}/health/ready`)).json()) as { details: { hubspot: { state: string } } }).details
        .hubspot.state,
    ).toBe('ok');
    t.emulator.setFaults({ mode: 'status', status: 503 });
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'logged-1', number: chinaMobile(5_001) })]),
    );
    await expect
      .poll(() => t!.logs.some((line) => line['msg'] === 'HubSpot unavailable; backing off'), { timeout: 10_000 })
      .toBe(true);
    const outage = t.logs.find((line) => line['msg'] === 'HubSpot unavailable; backing off')!;
    expect(outage['error']).toEqual({ type: 'HubSpotRetryableError', message: 'Service Unavailable' });
  });

  it('previews at most 5 calls of a batch, spending at most 5 searches, and repeated previews one search every 2 s', async () => {
    const adminToken = 'admin-token-0123456789abcdef';
    t = await startTestApp({ env: { ADMIN_TOKEN: adminToken } });
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'warm', number: chinaMobile(5_100) })]),
    );
    await t.settled();
    const searchesBefore = Object.entries(t.emulator.counters.byEndpoint)
      .filter(([endpoint]) => endpoint.endsWith('/search'))
      .reduce((sum, [, value]) => sum + value.total, 0);
    const batch = yunfuBatch(
      Array.from({ length: 100 }, (_, index) =>
        yunfuCall({ callid: `preview-${index}`, number: chinaMobile(5_200 + index) }),
      ),
    );
    const response = await fetch(`${t.url}/admin/mapping/preview?vendor=yunfu`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    const preview = (await response.json()) as { calls: unknown[]; notes: string[] };
    const searches =
      Object.entries(t.emulator.counters.byEndpoint)
        .filter(([endpoint]) => endpoint.endsWith('/search'))
        .reduce((sum, [, value]) => sum + value.total, 0) - searchesBefore;
    expect(response.status).toBe(200);
    expect(preview.calls).toHaveLength(5);
    expect(preview.notes).toContain('the first 5 of 100 calls are shown (a preview looks at a few calls, not a batch)');
    expect(searches).toBeLessThanOrEqual(5);

    // Previewing again and again spends no more: one search every 2 s after the first 5.
    const started = Date.now();
    const repeated: string[] = [];
    for (let round = 0; round < 10; round++) {
      const again = yunfuBatch(
        Array.from({ length: 5 }, (_, index) =>
          yunfuCall({ callid: `again-${round}-${index}`, number: chinaMobile(5_400 + round * 5 + index) }),
        ),
      );
      const answer = await fetch(`${t.url}/admin/mapping/preview?vendor=yunfu`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(again),
      });
      expect(answer.status).toBe(200);
      repeated.push(...((await answer.json()) as { notes: string[] }).notes);
    }
    const elapsedMs = Date.now() - started;
    const allSearches =
      Object.entries(t.emulator.counters.byEndpoint)
        .filter(([endpoint]) => endpoint.endsWith('/search'))
        .reduce((sum, [, value]) => sum + value.total, 0) - searchesBefore;
    expect(allSearches).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 2_000) + 1);
    expect(
      repeated.filter((note) => note.includes('HubSpot was not searched for this number')).length,
    ).toBeGreaterThanOrEqual(50 - 1 - Math.floor(elapsedMs / 2_000) - 1);
    process.stdout.write(
      `[preview] 1 preview of 100 calls + 10 of 5 calls in ${elapsedMs} ms: ${allSearches} HubSpot searches\n`,
    );
  });
});
