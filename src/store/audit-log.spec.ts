import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppLogger, createPinoLogger } from '../logging/app-logger.js';
import { AuditLog } from './audit-log.js';
import type { AuditEntry, ConsoleRepository } from './console.repository.js';

/** A logger whose lines are kept, parsed. */
function keptLogger(): { logger: AppLogger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: new AppLogger(createPinoLogger('info', sink)), lines };
}

const at = new Date('2026-12-01T00:00:00.000Z');
const clock = { now: () => at };

describe('AuditLog', () => {
  it('stamps an entry with the time and writes it', async () => {
    const written: AuditEntry[] = [];
    const repository = {
      audit: (entry: AuditEntry) => Promise.resolve(void written.push(entry)),
    } as unknown as ConsoleRepository;
    const { logger, lines } = keptLogger();
    await new AuditLog(repository, logger, clock).record({
      actor: 'admin-api',
      session: null,
      action: 'mapping.reload',
      detail: { ok: true },
    });
    expect(written).toEqual([
      { actor: 'admin-api', session: null, action: 'mapping.reload', detail: { ok: true }, at },
    ]);
    expect(lines).toEqual([]);
  });

  it('logs an entry the store does not take, with its action and the error, and does not throw', async () => {
    const repository = {
      audit: () => Promise.reject(new Error('database is locked')),
    } as unknown as ConsoleRepository;
    const { logger, lines } = keptLogger();
    await expect(
      new AuditLog(repository, logger, clock).record({
        actor: 'unknown',
        session: null,
        action: 'session.sign-in-refused',
        detail: { reason: 'wrong token' },
      }),
    ).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      action: 'session.sign-in-refused',
      error: { type: 'Error', message: 'database is locked' },
      msg: 'the audit log did not take an entry',
    });
  });
});
