import { describe, expect, it } from 'vitest';
import { RollingWindowLimiter } from './rolling-window-limiter.js';

describe('RollingWindowLimiter', () => {
  it('lets `limit` requests through at once and holds the next until the window has passed', async () => {
    const limiter = new RollingWindowLimiter(3, 200);
    const started = Date.now();
    for (let i = 0; i < 3; i++) (await limiter.acquire())();
    expect(Date.now() - started).toBeLessThan(100);
    expect(limiter.usage()).toBe(3);
    (await limiter.acquire())();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('counts requests still in flight', async () => {
    const limiter = new RollingWindowLimiter(2, 100);
    const first = await limiter.acquire();
    await limiter.acquire();
    let third = false;
    const pending = limiter.acquire().then((release) => {
      third = true;
      release();
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Both are still in flight after a whole window: nothing may pass.
    expect(third).toBe(false);
    first();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(third).toBe(true);
    await pending;
  });

  it('never has more than `limit` requests in any window under concurrent demand', async () => {
    const limiter = new RollingWindowLimiter(5, 100);
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const release = await limiter.acquire();
        sent.push(Date.now());
        release();
      }),
    );
    sent.sort((a, b) => a - b);
    for (let i = 5; i < sent.length; i++) expect(sent[i]! - sent[i - 5]!).toBeGreaterThanOrEqual(99);
  });

  it('holds every request while blocked', async () => {
    const limiter = new RollingWindowLimiter(10, 1000);
    const started = Date.now();
    limiter.blockUntil(started + 120);
    (await limiter.acquire())();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
  });
});
