import { describe, expect, it } from 'vitest';
import { EnvValidationError, logFormat, validateEnv, withSandboxSecrets } from './env.schema.js';
import { standardWebhooksKey } from '../webhooks/webhook-auth.js';

const problemsOf = (raw: Record<string, string>): string[] => {
  try {
    validateEnv(raw);
  } catch (error) {
    if (error instanceof EnvValidationError) return error.problems;
    throw error;
  }
  return [];
};

describe('validateEnv', () => {
  it('starts on embedded defaults with no settings at all', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      hubspotAccessToken: null,
      hubspotBaseUrl: 'https://api.hubapi.com',
      database: { kind: 'sqlite' },
      webhookSecrets: { voicefox: null, yunfu: null },
      webhookMaxBodyBytes: 1048576,
      webhookUnverifiedBytes: 268435456,
    });
    expect(env.database).toMatchObject({ kind: 'sqlite', file: expect.stringMatching(/data\/connector\.sqlite$/) });
    expect(env.configDir).toMatch(/config$/);
  });

  it('names every bad key and never prints a value', () => {
    const secretValue = 'shortsecret';
    const problems = problemsOf({
      PORT: '70000',
      VOICEFOX_WEBHOOK_SECRET: secretValue,
      HUBSPOT_BASE_URL: 'ftp://x',
      LOG_LEVEL: 'loud',
    });
    expect([...problems].sort()).toEqual([
      'HUBSPOT_BASE_URL must be an http(s) URL',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      'PORT must be a whole number from 0 to 65535',
      'VOICEFOX_WEBHOOK_SECRET must be at least 16 characters long',
    ]);
    expect(problems.join('\n')).not.toContain(secretValue);
  });

  it('requires a HubSpot token in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'HUBSPOT_ACCESS_TOKEN is required when NODE_ENV=production (sandbox mode is for trying the connector)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', HUBSPOT_ACCESS_TOKEN: 'pat-na1-0000' })).toEqual([]);
  });

  it('reads SQLite locations and PostgreSQL URLs, and names a PostgreSQL server without its password', () => {
    expect(validateEnv({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({ kind: 'sqlite', file: '/tmp/x.db' });
    expect(validateEnv({ DATABASE_URL: 'file:/tmp/y.db' }).database).toEqual({ kind: 'sqlite', file: '/tmp/y.db' });
    const url = 'postgres://connector:s3cret@db.internal:6543/connector?sslmode=require';
    expect(validateEnv({ DATABASE_URL: url, DATABASE_POOL_SIZE: '4' }).database).toEqual({
      kind: 'postgres',
      url,
      host: 'db.internal:6543',
      name: 'connector',
      poolSize: 4,
      // A third of the sync lease's TTL (15 s by default): a frozen leader's transaction does not outlast its lease.
      idleInTransactionMs: 5_000,
    });
    expect(
      validateEnv({ DATABASE_URL: url, SYNC_LEASE_TTL_MS: '3000', SYNC_LEASE_RENEW_MS: '1000' }).database,
    ).toMatchObject({ idleInTransactionMs: 1_000 });
    expect(validateEnv({ DATABASE_URL: 'postgresql://u@127.0.0.1/test' }).database).toMatchObject({
      host: '127.0.0.1:5432',
      poolSize: 10,
    });
    expect(problemsOf({ DATABASE_URL: 'postgres://user:pw@db' })).toEqual([
      'DATABASE_URL must name the server and the database: postgres://user:password@host:5432/database',
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://user:pw@db' }).join()).not.toContain('pw');
    expect(problemsOf({ DATABASE_URL: 'postgres://u@db/x', DATABASE_POOL_SIZE: '0' })).toEqual([
      'DATABASE_POOL_SIZE must be a whole number from 1 to 100',
    ]);
    expect(problemsOf({ DATABASE_URL: 'mysql://db/x' })).toEqual([
      'DATABASE_URL must be postgres://…, sqlite:<path>, file:<path> or a file path',
    ]);
  });

  it('accepts a secret given with a Bearer prefix and counts only the secret part', () => {
    expect(validateEnv({ VOICEFOX_WEBHOOK_SECRET: 'Bearer 0123456789abcdef' }).webhookSecrets['voicefox']).toBe(
      'Bearer 0123456789abcdef',
    );
    expect(problemsOf({ VOICEFOX_WEBHOOK_SECRET: 'Bearer 0123456789' })).toHaveLength(1);
  });

  it('keeps payloads 30 days by default, off keeps them forever, and 0 is refused as ambiguous', () => {
    expect(validateEnv({}).retention).toEqual({ days: 30, pruneIntervalMs: 3_600_000, pruneBatchSize: 500 });
    expect(validateEnv({ RETENTION_DAYS: '7' }).retention.days).toBe(7);
    expect(validateEnv({ RETENTION_DAYS: 'OFF' }).retention.days).toBeNull();
    expect(problemsOf({ RETENTION_DAYS: '0' })).toEqual([
      'RETENTION_DAYS must not be 0: set off to keep payloads forever, or a number of days (1 prunes the payloads of events synced or skipped over a day ago)',
    ]);
    for (const bad of ['-1', '1.5', '30d', 'never', '36501'])
      expect(problemsOf({ RETENTION_DAYS: bad })).toEqual([
        'RETENTION_DAYS must be a whole number of days from 1 to 36500, or off (keep payloads forever)',
      ]);
    expect(problemsOf({ RETENTION_PRUNE_BATCH_SIZE: '0', RETENTION_PRUNE_INTERVAL_MS: '10' })).toEqual([
      'RETENTION_PRUNE_INTERVAL_MS must be a whole number from 1000 to 86400000',
      'RETENTION_PRUNE_BATCH_SIZE must be a whole number from 1 to 10000',
    ]);
  });
});

describe('the console settings', () => {
  it('default to 8-hour sessions ending after an idle hour, no viewer token, the built app in dist/console-ui', () => {
    expect(validateEnv({}).console).toEqual({
      viewerToken: null,
      sessionHours: 8,
      sessionIdleMinutes: 60,
      uiDir: null,
    });
    expect(
      validateEnv({
        CONSOLE_VIEWER_TOKEN: 'viewer-token-0123456789',
        CONSOLE_SESSION_HOURS: '2',
        CONSOLE_UI_DIR: '/srv/ui',
      }).console,
    ).toMatchObject({ viewerToken: 'viewer-token-0123456789', sessionHours: 2, uiDir: '/srv/ui' });
    expect(problemsOf({ CONSOLE_VIEWER_TOKEN: 'short', CONSOLE_SESSION_HOURS: '0' })).toEqual([
      'CONSOLE_VIEWER_TOKEN must be at least 16 characters long',
      'CONSOLE_SESSION_HOURS must be a whole number from 1 to 720',
    ]);
  });
});

describe('withSandboxSecrets', () => {
  it('in sandbox mode makes up the webhook secrets and the admin token not set, for this run, and names them', () => {
    const env = withSandboxSecrets(validateEnv({ YUNFU_WEBHOOK_SECRET: 'yunfu-secret-0123456789' }));
    expect(env.webhookSecrets['yunfu']).toBe('yunfu-secret-0123456789');
    expect(env.webhookSecrets['voicefox']).toMatch(/^[0-9a-f]{64}$/);
    expect(env.adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(env.generatedSecrets).toEqual(expect.arrayContaining(['VOICEFOX_WEBHOOK_SECRET', 'ADMIN_TOKEN']));
    expect(env.generatedSecrets).not.toContain('YUNFU_WEBHOOK_SECRET');
    // Each made up on its own, and usable by every scheme (a Standard Webhooks key among them).
    expect(new Set(Object.values(env.webhookSecrets)).size).toBe(Object.keys(env.webhookSecrets).length);
    expect(standardWebhooksKey(env.webhookSecrets['voicefox']!).length).toBe(48);
  });

  it('makes up nothing with a HubSpot token, in production, or when everything is set', () => {
    const withToken = validateEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-0000' });
    expect(withSandboxSecrets(withToken)).toBe(withToken);
    const production = validateEnv({ NODE_ENV: 'production', HUBSPOT_ACCESS_TOKEN: 'pat-na1-0000' });
    expect(withSandboxSecrets({ ...production, hubspotAccessToken: null })).toMatchObject({
      adminToken: null,
      generatedSecrets: [],
    });
    const admin = withSandboxSecrets(validateEnv({ ADMIN_TOKEN: 'admin-token-0123456789' }));
    expect(admin.adminToken).toBe('admin-token-0123456789');
    expect(admin.generatedSecrets).not.toContain('ADMIN_TOKEN');
  });
});

describe('LOG_FORMAT', () => {
  it('writes readable lines at a terminal outside production, JSON otherwise, unless LOG_FORMAT says', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });
});
