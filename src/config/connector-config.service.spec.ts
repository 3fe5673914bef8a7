import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { textDigest } from '../common/content-digest.js';
import { ConnectorConfig } from './connector-config.service.js';
import { validateEnv } from './env.schema.js';
import type {
  MappingVersionInfo,
  MappingVersionStore,
  NewMappingVersion,
  StoredMappingVersion,
} from './mapping-version-store.js';
import { loadMappingFile } from './mapping/mapping-file.js';

const REPO_CONFIG = join(import.meta.dirname, '../../config');
const SHIPPED = readFileSync(join(REPO_CONFIG, 'mapping.yaml'), 'utf8');
const withTitle = (title: string) => SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${JSON.stringify(title)}`);

/** A strict in-memory fake of the store's port; `failing` makes every call reject, as a store that does not answer. */
class FakeVersions implements MappingVersionStore {
  readonly rows: StoredMappingVersion[] = [];
  failing = false;
  reads = 0;

  private check(): Promise<void> {
    this.reads++;
    return this.failing ? Promise.reject(new Error('connection refused')) : Promise.resolve();
  }

  async head(_portalId: string) {
    await this.check();
    const top = this.rows.at(-1);
    return top ? { version: top.version, digest: top.digest } : null;
  }

  async current(_portalId: string) {
    await this.check();
    return this.rows.at(-1) ?? null;
  }

  async findByDigest(_portalId: string, digest: string): Promise<MappingVersionInfo | null> {
    await this.check();
    const found = this.rows.filter((row) => row.digest === digest).at(-1);
    return found ? info(found) : null;
  }

  async publish(_portalId: string, entry: NewMappingVersion, now: Date) {
    await this.check();
    const digest = textDigest(entry.yaml);
    const top = this.rows.at(-1);
    if (top?.digest === digest) return { stored: info(top), created: false };
    const row = { ...entry, digest, version: (top?.version ?? 0) + 1, storedAt: now.toISOString() };
    this.rows.push(row);
    return { stored: info(row), created: true };
  }
}

function info(row: StoredMappingVersion): MappingVersionInfo {
  const { yaml: _text, ...rest } = row;
  return rest;
}

const dirs: string[] = [];
const configs: ConnectorConfig[] = [];
afterEach(async () => {
  for (const config of configs.splice(0)) await config.stopPolling();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function configWith(yaml: string, id = 'a'): { config: ConnectorConfig; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'connector-config-'));
  dirs.push(dir);
  cpSync(REPO_CONFIG, dir, { recursive: true });
  writeFileSync(join(dir, 'mapping.yaml'), yaml);
  const env = validateEnv({ CONFIG_DIR: dir, INSTANCE_ID: id, MAPPING_POLL_MS: '100' });
  const config = new ConnectorConfig(loadMappingFile(dir), env, null);
  configs.push(config);
  return { config, dir };
}

describe('the mapping in force, shared through the store', () => {
  it('refuses a reload the store does not take: the other instances could not get it', async () => {
    const versions = new FakeVersions();
    const { config, dir } = configWith(SHIPPED);
    await config.useStore(versions);
    expect(config.reloadStatus().version).toMatchObject({ version: 1, storedBy: 'a', trigger: 'start' });

    writeFileSync(join(dir, 'mapping.yaml'), withTitle('{{vendorName}} call'));
    versions.failing = true;
    const outcome = await config.reload('admin request');
    expect(outcome).toMatchObject({ ok: false, trigger: 'admin request' });
    expect(outcome.problems).toEqual([
      'the store did not answer, so the other instances could not get this mapping: reload again once it answers',
    ]);
    expect(config.current().call.title.source).toBe(loadMappingFile(REPO_CONFIG).settings.call.title.source);
    expect(config.reloadStatus().version?.version).toBe(1);

    versions.failing = false;
    expect(await config.reload('admin request')).toMatchObject({ ok: true });
    expect(config.reloadStatus().version?.version).toBe(2);
    expect(config.current().call.title.source).toBe('{{vendorName}} call');
  });

  it('keeps the mapping in force while the store does not answer, and takes a new version once it does', async () => {
    const versions = new FakeVersions();
    const { config } = configWith(SHIPPED);
    await config.useStore(versions);
    versions.failing = true;
    const before = versions.reads;
    await expect.poll(() => versions.reads, { timeout: 2_000 }).toBeGreaterThan(before + 2);
    expect(config.reloadStatus().version?.version).toBe(1);

    versions.failing = false;
    await versions.publish(
      'default',
      { yaml: withTitle('{{vendorName}} call'), storedBy: 'b', trigger: 'SIGHUP' },
      new Date(),
    );
    await expect.poll(() => config.reloadStatus().version?.version, { timeout: 2_000 }).toBe(2);
    expect(config.current().call.title.source).toBe('{{vendorName}} call');
    expect(config.reloadStatus().lastReload).toMatchObject({ trigger: 'store', ok: true, stored: { storedBy: 'b' } });
  });

  it('refuses at start a stored version it cannot parse, keeps its own file, and says which version that file is', async () => {
    const versions = new FakeVersions();
    await versions.publish('default', { yaml: SHIPPED, storedBy: 'x', trigger: 'start' }, new Date());
    // A version this instance cannot read (written by a later connector, say): stored as text, checked on taking.
    await versions.publish(
      'default',
      { yaml: 'call:\n  title: "{{nope}}"\n', storedBy: 'y', trigger: 'start' },
      new Date(),
    );
    const { config } = configWith(SHIPPED);
    await config.useStore(versions);
    expect(config.reloadStatus().version).toMatchObject({ version: 1, storedBy: 'x' });
    expect(config.reloadStatus().lastReload).toMatchObject({
      trigger: 'store',
      ok: false,
      stored: { version: 2, storedBy: 'y' },
      problems: ['mapping.yaml (version 2):2 call.title: unknown field "nope"'],
    });
    expect(versions.rows).toHaveLength(2);
  });
});

describe('a vendor defined in the mapping, across reloads', () => {
  const BLAND = readFileSync(join(REPO_CONFIG, 'examples', 'bland.yaml'), 'utf8');

  it('reloads its field paths, but takes adding, removing or renaming a defined vendor only with a restart', async () => {
    const { config, dir } = configWith(BLAND);
    const paths = () => config.current().vendors['bland']?.definition?.fields.summary;
    expect(paths()).toEqual(['summary']);

    writeFileSync(join(dir, 'mapping.yaml'), BLAND.replace('summary: summary', 'summary: analysis.summary'));
    expect(await config.reload('admin request')).toMatchObject({ ok: true });
    expect(paths()).toEqual(['analysis', 'summary']);

    const refusals: Array<[string, string]> = [
      [
        SHIPPED,
        'vendors.bland: defined when this instance started: removing it takes effect with a restart (enabled: false closes its endpoint now)',
      ],
      [
        BLAND.replace('secretSetting: BLAND_WEBHOOK_SECRET', 'secretSetting: BLAND_SIGNING_KEY'),
        'vendors.bland.definition.secretSetting: changes only take effect with a restart',
      ],
      [
        BLAND.replace(/^ {2}bland:$/m, '  bland2:'),
        'vendors.bland2: a vendor defined since this instance started is served only after a restart with this mapping.yaml (its secret setting is read at start)',
      ],
    ];
    for (const [text, problem] of refusals) {
      writeFileSync(join(dir, 'mapping.yaml'), text);
      const outcome = await config.reload('admin request');
      expect(outcome.ok).toBe(false);
      expect(outcome.problems).toContain(problem);
      expect(paths()).toEqual(['analysis', 'summary']);
    }
  });

  it('refuses a stored version that defines a vendor this instance did not start with, and keeps its own', async () => {
    const versions = new FakeVersions();
    const { config } = configWith(SHIPPED);
    await config.useStore(versions);
    await versions.publish('default', { yaml: BLAND, storedBy: 'b', trigger: 'start' }, new Date());
    await expect.poll(() => config.reloadStatus().lastReload?.stored?.version, { timeout: 2_000 }).toBe(2);
    expect(config.reloadStatus().lastReload).toMatchObject({ trigger: 'store', ok: false });
    expect(config.reloadStatus().lastReload?.problems).toEqual([
      'vendors.bland: a vendor defined since this instance started is served only after a restart with this mapping.yaml (its secret setting is read at start)',
    ]);
    expect(config.reloadStatus().version?.version).toBe(1);
    expect(config.current().vendors['bland']).toBeUndefined();
  });
});

describe('saving a submitted mapping text (the console)', () => {
  const fileDigest = (dir: string) => textDigest(readFileSync(join(dir, 'mapping.yaml'), 'utf8'));

  it('refuses a text with problems, or one edited from an earlier mapping, and changes nothing', async () => {
    const versions = new FakeVersions();
    const { config, dir } = configWith(SHIPPED);
    await config.useStore(versions);
    const before = fileDigest(dir);
    const base = config.textInForce().digest.slice(0, 12);

    const broken = withTitle('{{custmer.name}}');
    const line = broken.split('\n').findIndex((text) => text.startsWith('  title:')) + 1;
    expect(await config.saveText(broken, 'console', base)).toEqual({
      status: 'refused',
      problems: [`mapping.yaml:${line} call.title: unknown field "custmer.name"`],
    });
    expect(await config.saveText(withTitle('{{vendorName}}'), 'console', 'f'.repeat(12))).toEqual({
      status: 'stale',
      digest: base,
    });
    expect(fileDigest(dir)).toBe(before);
    expect(versions.rows).toHaveLength(1);
    expect(config.textInForce().text).toBe(SHIPPED);
    expect(config.reloadStatus().lastReload).toBeNull();
  });

  it('stores a good text as the next version, writes the file whole, and puts it in force', async () => {
    const versions = new FakeVersions();
    const { config, dir } = configWith(SHIPPED);
    await config.useStore(versions);
    const text = withTitle('Saved {{vendorName}}');
    const outcome = await config.saveText(text, 'console', config.textInForce().digest);
    expect(outcome).toMatchObject({ status: 'saved', version: { version: 2, trigger: 'console' }, warnings: [] });
    expect(readFileSync(join(dir, 'mapping.yaml'), 'utf8')).toBe(text);
    expect(config.current().call.title.source).toBe('Saved {{vendorName}}');
    expect(config.reloadStatus().version?.version).toBe(2);
    // No temporary file is left beside it.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // The file now holds what is in force: a late file-change reload of it stores nothing new.
    expect(await config.reload('file change')).toMatchObject({ ok: true });
    expect(versions.rows).toHaveLength(2);
  });

  it('stores the version when the file cannot be written (and says so); without a store that is a refusal', async () => {
    const versions = new FakeVersions();
    const shared = configWith(SHIPPED);
    await shared.config.useStore(versions);
    // A folder where the file was: the rename over it fails, whoever runs the test.
    rmSync(join(shared.dir, 'mapping.yaml'));
    mkdirSync(join(shared.dir, 'mapping.yaml'));
    const saved = await shared.config.saveText(withTitle('Stored only'), 'console', null);
    expect(saved).toMatchObject({ status: 'saved', version: { version: 2 } });
    expect(saved.status === 'saved' && saved.warnings[0]).toMatch(
      /could not be written on this instance .* stored as version 2/,
    );
    expect(shared.config.current().call.title.source).toBe('Stored only');

    const alone = configWith(SHIPPED);
    rmSync(join(alone.dir, 'mapping.yaml'));
    mkdirSync(join(alone.dir, 'mapping.yaml'));
    const refused = await alone.config.saveText(withTitle('Nowhere'), 'console', null);
    expect(refused).toMatchObject({
      status: 'refused',
      problems: [expect.stringMatching(/^mapping\.yaml: cannot write the file/)],
    });
    expect(alone.config.current().call.title.source).not.toBe('Nowhere');
    expect(readdirSync(alone.dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
