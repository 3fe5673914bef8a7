import { describe, expect, it } from 'vitest';
import { EnvValidationError, validateEnv } from './env.schema.js';

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
    });
    expect(env.database.file).toMatch(/data\/connector\.sqlite$/);
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

  it('reads SQLite locations and refuses PostgreSQL by name until it is supported', () => {
    expect(validateEnv({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database.file).toBe('/tmp/x.db');
    expect(validateEnv({ DATABASE_URL: 'file:/tmp/y.db' }).database.file).toBe('/tmp/y.db');
    expect(problemsOf({ DATABASE_URL: 'postgres://user:pw@db/connector' })[0]).toMatch(
      /^DATABASE_URL: PostgreSQL is not supported/,
    );
    expect(problemsOf({ DATABASE_URL: 'postgres://user:pw@db/connector' }).join()).not.toContain('pw');
    expect(problemsOf({ DATABASE_URL: 'mysql://db/x' })).toEqual([
      'DATABASE_URL must be sqlite:<path>, file:<path> or a file path',
    ]);
  });

  it('accepts a secret given with a Bearer prefix and counts only the secret part', () => {
    expect(validateEnv({ VOICEFOX_WEBHOOK_SECRET: 'Bearer 0123456789abcdef' }).webhookSecrets['voicefox']).toBe(
      'Bearer 0123456789abcdef',
    );
    expect(problemsOf({ VOICEFOX_WEBHOOK_SECRET: 'Bearer 0123456789' })).toHaveLength(1);
  });
});
