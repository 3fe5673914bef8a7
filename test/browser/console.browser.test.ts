import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ConnectorConfig } from '../../src/config/connector-config.service.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { ConsoleRepository } from '../../src/store/console.repository.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, REPO_DIR, startTestApp, waitFor, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * The operator console in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * against the real connector and the HubSpot emulator. Screenshots go to docs/screenshots/ (the README shows them).
 */
const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'console-admin-token-0123456789';
const SHOTS = join(REPO_DIR, 'docs', 'screenshots');
const AXE = join(REPO_DIR, 'node_modules', 'axe-core', 'axe.min.js');

let t: TestApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  t = await startTestApp({ env: { ADMIN_TOKEN } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Serious or critical accessibility violations axe-core finds on the page as it is. */
async function axeProblems(): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's strict CSP (no inline script) leaves to the test.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  // Evaluated in the page (a string: the test's own code has no DOM types).
  const result = await page.evaluate<{ violations: Array<{ id: string; impact: string | null; nodes: unknown[] }> }>(
    'axe.run(document)',
  );
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.nodes.length})`);
}

describe('the operator console in Chromium', () => {
  it(
    'signs in, finds a call by phone, opens it, replays a dead letter until it is synced, edits the mapping (an error at its line, refused; fixed, previewed, saved, the next call written with it), and signs out',
    { timeout: 120_000 },
    async () => {
      // A synced call, and a dead one: the portal requires lead_source on new contacts.
      const admin = { authorization: 'Bearer pat-test-0000-0000', 'content-type': 'application/json' };
      const created = await fetch(`${t.emulator.url}/crm/properties/2026-09/contacts`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({
          name: 'lead_source',
          label: 'Lead source',
          type: 'string',
          fieldType: 'text',
          groupName: 'contactinformation',
        }),
      });
      expect(created.status).toBe(201);
      await postJson(
        `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        yunfuBatch([yunfuCall({ callid: 'console-ok', number: chinaMobile(501) })]),
      );
      await t.settled();
      t.emulator.setValidationRules({ contacts: { required: ['lead_source'] }, calls: { required: [] } });
      await postJson(
        `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        yunfuBatch([yunfuCall({ callid: 'console-dead', number: chinaMobile(502) })]),
      );
      await t.settled();
      expect((await t.inbox.findByKey('yunfu', 'console-dead'))?.status).toBe('dead');

      // An audit log longer than a page (50): the reloads an admin made through the API before this session.
      const auditLog = t.app.get(AuditLog);
      for (let index = 0; index < 55; index++)
        await auditLog.record({
          actor: 'admin-api',
          session: null,
          action: 'mapping.reload',
          detail: { ok: true, version: 1, problems: 0 },
        });

      // Every page refuses without a session: the app shows the sign-in page.
      await page.goto(`${t.url}/console/#/deliveries`);
      await page.getByLabel('Access token').waitFor();
      expect(await axeProblems(), 'sign-in').toEqual([]);
      await page.getByLabel('Access token').fill('wrong-token-0000000000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page
        .getByText(/wrong|not|refused/i)
        .first()
        .waitFor();
      await page.getByLabel('Access token').fill(ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.goto(`${t.url}/console/#/overview`);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
      expect(await axeProblems(), 'overview').toEqual([]);

      // Find the synced call by its phone number, in another format than stored, and open it.
      await page.goto(`${t.url}/console/#/deliveries`);
      await page.getByLabel('Call id or phone').fill(`+86 ${chinaMobile(501)}`);
      await page.getByRole('button', { name: 'Search' }).click();
      const row = page.getByRole('link', { name: /^Event \d+$/ });
      await row.first().waitFor();
      expect(await row.count()).toBe(1);
      expect(await page.getByRole('main').textContent()).not.toContain(chinaMobile(501));
      expect(await axeProblems(), 'deliveries').toEqual([]);
      await row.first().click();
      await page.getByText('console-ok').first().waitFor();
      await page.getByText('synced', { exact: true }).first().waitFor();
      await page.screenshot({ path: join(SHOTS, 'delivery.png'), fullPage: true });
      expect(await axeProblems(), 'delivery').toEqual([]);

      // The portal's rule is met now (the admin added the property's value in HubSpot): replay the dead letter.
      t.emulator.setValidationRules({ contacts: { required: [] }, calls: { required: [] } });
      await page.goto(`${t.url}/console/#/dead-letters`);
      await page
        .getByText(/lead_source/)
        .first()
        .waitFor();
      expect(await axeProblems(), 'dead letters').toEqual([]);
      await page.getByRole('button', { name: /^Replay all 1 with this reason$/ }).click();
      await page.getByRole('button', { name: 'Replay 1' }).click();
      await waitFor(async () => (await t.inbox.findByKey('yunfu', 'console-dead'))?.status === 'synced', 30_000);
      await page.getByText(/Replay finished/).waitFor({ timeout: 30_000 });
      expect(await page.getByRole('main').textContent()).toMatch(/synced/);

      // The timeline of what sales see, and the mapping editor, as screenshots for the README.
      await page.goto(`${t.url}/console/#/timeline`);
      await page.getByLabel('Phone number').fill(`+86${chinaMobile(501)}`);
      await page.getByRole('button', { name: 'Show the timeline' }).click();
      await page
        .getByText(/AI call \(Yunfu/)
        .first()
        .waitFor();
      await page.screenshot({ path: join(SHOTS, 'timeline.png'), fullPage: true });
      expect(await axeProblems(), 'timeline').toEqual([]);
      // The mapping editor: an error appears at its line and the save is refused, changing nothing; fixed, the preview
      // shows the new title beside the one in force; saved, the next call is written with it.
      const synced = (await t.inbox.findByKey('yunfu', 'console-ok'))!;
      const mappingFile = join(t.dir, 'config', 'mapping.yaml');
      const before = readFileSync(mappingFile, 'utf8');
      const broken = before.replace(/^(\s+)mode: attach\b/m, '$1mode: keep');
      expect(broken).not.toBe(before);
      const brokenLine = broken.split('\n').findIndex((line) => /^\s+mode: keep\b/.test(line)) + 1;
      await page.goto(`${t.url}/console/#/mapping?event=${synced.id}`);
      await page.getByText('No problems.').waitFor();
      const editor = page.locator('.cm-content');
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(broken);
      await page
        .getByRole('button', {
          name: new RegExp(`^Line ${brokenLine}: recordings\\.mode: must be one of off, attach, link`),
        })
        .waitFor();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.waitForTimeout(500);
      expect(readFileSync(mappingFile, 'utf8')).toBe(before);
      expect(t.app.get(ConnectorConfig).current().recordings.mode).toBe('attach');

      const fixed = before.replace(/^(\s+)title: ".*"$/m, '$1title: "Console edit ({{vendorName}})"');
      expect(fixed).not.toBe(before);
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(fixed);
      await page.getByText('No problems.').waitFor();
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByText('Console edit (Yunfu)').first().waitFor();
      await page
        .getByText(/AI call \(Yunfu, inbound\)/)
        .first()
        .waitFor();
      await page.screenshot({ path: join(SHOTS, 'mapping.png'), fullPage: true });
      expect(await axeProblems(), 'mapping').toEqual([]);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText(/Saved: version \d+ is in force/).waitFor();
      await postJson(
        `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        yunfuBatch([yunfuCall({ callid: 'console-after', number: chinaMobile(503) })]),
      );
      await t.settled();
      const written = t.emulator
        .listObjects('calls')
        .find((call) => call.properties['ai_call_key'] === 'yunfu:console-after');
      expect(written?.properties['hs_call_title']).toBe('Console edit (Yunfu)');

      // The audit log: the wrong token tried at sign-in, the sign-in, the replay and the saves, newest first.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      const auditTable = page.getByRole('table');
      await auditTable.waitFor();
      const actions = await auditTable.locator('tbody th[scope="row"]').allTextContents();
      expect(actions[0]).toBe('mapping.save');
      expect(actions).toEqual(
        expect.arrayContaining(['session.sign-in-refused', 'session.sign-in', 'replay', 'mapping.save']),
      );
      expect(actions.lastIndexOf('session.sign-in-refused')).toBeGreaterThan(actions.indexOf('replay'));
      const refusedRow = auditTable.locator('tr', { hasText: 'session.sign-in-refused' });
      expect(await refusedRow.textContent()).toMatch(/nobody signed in.*reason: wrong token/);
      expect(await auditTable.locator('caption').textContent()).toBe('50 entries, newest first (older ones follow)');
      expect(await axeProblems(), 'audit log').toEqual([]);
      // "Older" adds the next page below; focus goes to the first entry added; on the last page the button goes.
      const stored = (await t.app.get(ConsoleRepository).auditList(200)).length;
      expect(stored).toBeGreaterThan(55);
      await page.getByRole('button', { name: 'Older' }).click();
      await auditTable.getByText(`${stored} entries, newest first`, { exact: true }).waitFor();
      expect(await auditTable.locator('tbody tr').count()).toBe(stored);
      // Focus moves once the rows are drawn (an effect after the render): waited for, up to 5 s.
      await page.waitForFunction('document.activeElement?.closest("tr")?.rowIndex === 51', undefined, {
        timeout: 5_000,
      });
      expect(await page.getByRole('button', { name: 'Older' }).count()).toBe(0);
      expect(await axeProblems(), 'audit log, older entries').toEqual([]);

      // Deliveries page by page too: 55 more calls; "Clear" lists the newest 50, "Older" adds the rest below, with
      // focus on the first added; the list is there as it was left after an event's page.
      await postJson(
        `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
        yunfuBatch(
          Array.from({ length: 55 }, (_, index) =>
            yunfuCall({ callid: `console-many-${index}`, number: chinaMobile(600 + index) }),
          ),
        ),
      );
      await t.settled();
      const deliveries = (await t.inbox.list()).length;
      expect(deliveries).toBeGreaterThan(55);
      await page.getByRole('link', { name: 'Deliveries' }).click();
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.getByText('50 deliveries, newest first', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Older' }).click();
      await page.getByText(`${deliveries} deliveries, newest first`, { exact: true }).waitFor();
      const eventLinks = page.getByRole('link', { name: /^Event \d+$/ });
      expect(await eventLinks.count()).toBe(deliveries);
      const firstAdded = await eventLinks.nth(50).textContent();
      await page.waitForFunction(`document.activeElement?.textContent === ${JSON.stringify(firstAdded)}`, undefined, {
        timeout: 5_000,
      });
      expect(await page.getByRole('button', { name: 'Older' }).count()).toBe(0);
      await eventLinks.nth(50).click();
      await page.getByRole('heading', { name: `Event #${/\d+/.exec(firstAdded!)![0]}` }).waitFor();
      await page.goBack();
      await page.getByText(`${deliveries} deliveries, newest first`, { exact: true }).waitFor();

      // Sign out: the session ends, and the API refuses it from now on.
      const cookies = await page.context().cookies();
      const session = cookies.find((cookie) => cookie.name === 'console_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('Access token').waitFor();
      const after = await fetch(`${t.url}/console/api/overview`, {
        headers: { cookie: `console_session=${session!.value}` },
      });
      expect(after.status).toBe(401);
    },
  );
});
