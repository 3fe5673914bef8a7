import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

interface Health {
  status: string;
  details: { hubspot: { status: string; state: string; reason?: string } };
}
const health = async (app: TestApp): Promise<Health> =>
  (await (await fetch(`${app.url}/health/ready`)).json()) as Health;

describe('sync pauses when HubSpot refuses as a whole, and resumes', () => {
  it.each([
    ['a revoked token (401)', { revoked: true }, /401|authentication|token/i],
    ['a missing scope (403)', { missingScopes: true }, /403|scope/i],
  ])(
    'stops on %s with a clear health status, dead-letters nothing, and resumes when fixed',
    async (_name, auth, reason) => {
      t = await startTestApp();
      t.emulator.setAuth(auth);
      await postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, fixture('yunfu', 'seed-inbound-success'));
      await expect.poll(async () => (await health(t!)).details.hubspot.state, { timeout: 5_000 }).toBe('auth-failed');
      const paused = await health(t);
      expect(paused.status).toBe('degraded');
      expect(paused.details.hubspot.status).toBe('degraded');
      expect(paused.details.hubspot.reason).toMatch(reason);
      const counts = await t.inbox.countByStatus();
      expect(counts.dead).toBe(0);
      expect(counts.synced).toBe(0);
      expect((await t.inbox.list())[0]!.attempts).toBe(0);

      t.emulator.setAuth({ revoked: false, missingScopes: false });
      const fixed = Date.now();
      await t.settled();
      process.stdout.write(
        `[reliability] ${_name}: health ${paused.details.hubspot.state}, 0 dead, resumed ${Date.now() - fixed} ms after the fix\n`,
      );
      expect((await t.inbox.countByStatus()).synced).toBe(1);
      expect((await health(t)).details.hubspot.state).toBe('ok');
    },
  );

  it('pauses on the daily limit (health says so) without burning retries, and resumes when the day resets', async () => {
    t = await startTestApp();
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'day-1', number: chinaMobile(1) })]),
    );
    await t.settled();
    t.emulator.setLimits({ daily: t.emulator.limitsReport().usage.dailyUsed });
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch([yunfuCall({ callid: 'day-2', number: chinaMobile(2) })]),
    );
    await expect
      .poll(async () => (await health(t!)).details.hubspot.state, { timeout: 5_000 })
      .toBe('paused-daily-limit');
    expect(await t.inbox.findByKey('yunfu', 'day-2')).toMatchObject({ attempts: 0 });
    expect((await t.inbox.countByStatus()).dead).toBe(0);

    const dayReset = Date.now();
    t.emulator.resetDay();
    await t.settled();
    process.stdout.write(
      `[reliability] daily limit: paused (health paused-daily-limit), 0 attempts charged, resumed ${Date.now() - dayReset} ms after the day reset\n`,
    );
    expect((await t.inbox.findByKey('yunfu', 'day-2'))?.status).toBe('synced');
    expect((await health(t)).details.hubspot.state).toBe('ok');
  });

  it('backs off through an outage and syncs everything after it, dead-lettering nothing', async () => {
    t = await startTestApp();
    t.emulator.setFaults({ mode: 'status', status: 503, until: Date.now() + 1_500 });
    const calls = Array.from({ length: 30 }, (_, index) =>
      yunfuCall({ callid: `outage-${index}`, number: chinaMobile(index % 7) }),
    );
    await postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(calls));
    await expect.poll(async () => (await health(t!)).details.hubspot.state, { timeout: 5_000 }).toBe('unavailable');
    await t.settled(20_000);
    expect(await t.inbox.countByStatus()).toMatchObject({ synced: 30, dead: 0 });
    expect(t.emulator.listObjects('calls')).toHaveLength(30);
  });
});
