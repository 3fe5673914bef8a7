import { errorSummary } from '../common/app-exception.filter.js';
import { textDigest } from '../common/content-digest.js';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, watch, writeSync, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppLogger } from '../logging/app-logger.js';
import { APP_ENV, MAPPING_AT_START } from './config.tokens.js';
import {
  shownDigest,
  type MappingVersionInfo,
  type MappingVersionStore,
  type StoredMappingVersion,
} from './mapping-version-store.js';
import { ConfigFileError, MAPPING_FILE, type ConnectorSettings } from './mapping/mapping-settings.js';
import { parseConnectorSettings, readMappingText, type LoadedMapping } from './mapping/mapping-file.js';
import { DEFAULT_PORTAL } from './portal.js';
import type { AppEnv } from './env.schema.js';

/** Checks a parsed mapping against the portal: problems, or null when HubSpot cannot be reached to check. */
export type PortalCheck = (settings: ConnectorSettings) => Promise<string[] | null>;

export interface ReloadOutcome {
  at: string;
  /** `admin request`, `SIGHUP`, `file change`; `store` when another instance stored a new version. */
  trigger: string;
  ok: boolean;
  problems: string[];
  /** The stored version that was checked (trigger `store`). */
  stored?: MappingVersionInfo;
}

export interface ReloadStatus {
  file: string;
  loadedAt: string;
  /** The stored version in force; null while no store is attached (unit tests). */
  version: MappingVersionInfo | null;
  lastReload: ReloadOutcome | null;
}

/** What saving a submitted mapping text came to (see `ConnectorConfig.saveText`). */
export type SaveOutcome =
  | {
      status: 'saved';
      /** The stored version now in force (null while no store is attached). */
      version: MappingVersionInfo | null;
      /** SHA-256 (hex) of the saved text. */
      digest: string;
      /** What an admin should know although it took (the file could not be written here, the version is stored). */
      warnings: string[];
    }
  /** Refused as a reload would refuse it: nothing written, nothing stored, the mapping in force stays. */
  | { status: 'refused'; problems: string[] }
  /** The mapping in force is no longer the one the text was edited from: nothing written. */
  | { status: 'stale'; digest: string };

/** Debounce for file-change events: editors write a file in several steps. */
const WATCH_DEBOUNCE_MS = 150;

/** How a stored version's text is named in its problems (`mapping.yaml (version 5):12 call.title: …`). */
const storedName = (version: number) => `${MAPPING_FILE} (version ${version})`;

/**
 * The mapping in force. Components take `current()` once per batch or request, so a reload swaps it atomically
 * between batches. A reload (file change, SIGHUP, or `reload()`) parses and checks the file, and against the portal
 * where HubSpot answers; an invalid edit never replaces the running mapping: it is logged, shown in health, and the
 * last good mapping stays.
 *
 * Instances sharing a store share the mapping (`useStore`): a successful reload on any instance stores its text as a
 * new version, and every instance asks the store for the current version every `MAPPING_POLL_MS`, checks a new one
 * as a reload does, and swaps it in (or refuses it, and says so in health). Reloads, versions taken from the store
 * and the start's choice run one at a time.
 */
@Injectable()
export class ConnectorConfig implements OnApplicationBootstrap, OnApplicationShutdown {
  private settings: ConnectorSettings;
  /** The text of the mapping in force: what is stored and compared by digest. */
  private text: string;
  /**
   * The digest of this instance's own file as it last read it with success (at start, or a reload that went through):
   * a reload of an unchanged file (a late file-change event, a SIGHUP with nothing edited) must not store that text
   * again over a newer version another instance stored meanwhile.
   */
  private fileDigest: string;
  private status: ReloadStatus;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private portalCheck: PortalCheck | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private store: MappingVersionStore | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private pollStopped = false;
  /** A stored version this instance refused: not checked again, unless a newer one is stored. */
  private refusedVersion: number | null = null;
  private storeFailing = false;
  private readonly onSighup = (): void => void this.reload('SIGHUP');
  /** The vendors the mapping defined at start (registered then, with their secret settings): fixed until a restart. */
  private readonly definedAtStart: ReadonlyMap<string, DefinedVendorIdentity>;

  constructor(
    @Inject(MAPPING_AT_START) initial: LoadedMapping,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Optional() @Inject(AppLogger) private readonly logger: AppLogger | null,
  ) {
    this.settings = initial.settings;
    this.definedAtStart = definedVendors(initial.settings);
    this.text = initial.text;
    this.fileDigest = textDigest(initial.text);
    this.status = {
      file: join(env.configDir, MAPPING_FILE),
      loadedAt: new Date().toISOString(),
      version: null,
      lastReload: null,
    };
  }

  current(): ConnectorSettings {
    return this.settings;
  }

  reloadStatus(): ReloadStatus {
    return this.status;
  }

  /** The text of the mapping in force (this instance's file, or the stored version it took) and its SHA-256 (hex). */
  textInForce(): { text: string; digest: string } {
    return { text: this.text, digest: textDigest(this.text) };
  }

  /**
   * A submitted mapping text, parsed and checked as a reload checks a file (problems named `mapping.yaml:12 path: …`),
   * except against the portal: no HubSpot request (a save is checked against the portal too). `settings` are what
   * the text says when it parses, whatever the other checks found (for previews).
   */
  async checkText(text: string): Promise<{ problems: string[]; settings: ConnectorSettings | null }> {
    let settings: ConnectorSettings | null = null;
    const checked = await this.check(
      () => {
        settings = parseConnectorSettings(text, MAPPING_FILE);
        return { text, fileName: MAPPING_FILE };
      },
      'check',
      false,
      false,
    );
    return { problems: checked.problems, settings };
  }

  /**
   * Puts a submitted mapping text in force, as a reload of an edited file would (parse, the settings that need a
   * restart, the portal where HubSpot answers): stored as the new version (which every instance takes), written to
   * this instance's file (a temporary file renamed over it, so that a reader never sees half a file), and swapped in.
   * `baseDigest` (the first 12 or more hex characters of the digest of the text the edit started from) must still be
   * the mapping in force, else `stale`. A refused text changes nothing: no file written, no version stored. When the
   * file cannot be written (a read-only config folder) but a store is attached, the version is stored all the same
   * (the file stays as it was; a warning says so); without a store that is a refusal.
   */
  async saveText(text: string, trigger: string, baseDigest: string | null): Promise<SaveOutcome> {
    return this.exclusive(async (): Promise<SaveOutcome> => {
      const inForce = textDigest(this.text);
      if (baseDigest !== null && !digestMatches(inForce, baseDigest))
        return { status: 'stale', digest: shownDigest(inForce) };
      const at = new Date().toISOString();
      // Parsed as this text, not this instance's file (whose name stays out of the problems).
      const checked = await this.check(() => ({ text, fileName: MAPPING_FILE }), trigger);
      if (!checked.next) return { status: 'refused', problems: checked.problems };
      const digest = textDigest(text);
      let version = this.status.version;
      if (this.store) {
        try {
          version = (
            await this.store.publish(DEFAULT_PORTAL, { yaml: text, storedBy: this.env.instanceId, trigger }, new Date())
          ).stored;
        } catch (error) {
          this.logger?.error({ trigger, error: errorSummary(error) }, 'mapping save: the store did not take it');
          return {
            status: 'refused',
            problems: ['the store did not answer: nothing was changed; save again once it answers'],
          };
        }
      }
      const warnings: string[] = [];
      let written = false;
      try {
        writeFileAtomically(this.status.file, text);
        written = true;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const reason = typeof code === 'string' ? code : 'error';
        this.logger?.warn({ trigger, reason }, `mapping save: ${MAPPING_FILE} could not be written`);
        if (!this.store)
          return {
            status: 'refused',
            problems: [`${MAPPING_FILE}: cannot write the file (${reason}): nothing was changed`],
          };
        warnings.push(
          `${MAPPING_FILE} could not be written on this instance (${reason}): the mapping is stored as version ${version?.version ?? '?'}, which every instance takes; this instance's file keeps its earlier text`,
        );
      }
      this.settings = checked.next;
      this.text = text;
      if (written) this.fileDigest = digest;
      this.status = {
        ...this.status,
        loadedAt: at,
        version,
        lastReload: { at, trigger, ok: true, problems: [] },
      };
      this.refusedVersion = null;
      this.logger?.info({ trigger, version: version?.version, written }, 'mapping saved and in force');
      return { status: 'saved', version, digest, warnings };
    });
  }

  /** Registered by the HubSpot side, so that a reload is checked against the portal before it goes live. */
  setPortalCheck(check: PortalCheck): void {
    this.portalCheck = check;
  }

  /**
   * Shares the mapping through the store (handed over by the store module before the application starts): chooses
   * the mapping in force at start (see `joinStore`), then asks the store for the current version every
   * `MAPPING_POLL_MS`. A store that fails here fails the start, as the store's own start-up check does.
   */
  async useStore(store: MappingVersionStore): Promise<void> {
    this.store = store;
    this.pollStopped = false;
    await this.exclusive(() => this.joinStore(store));
    this.schedulePoll();
  }

  /** Stops asking the store (at shutdown, before the store closes); resolves once a poll in flight has ended. */
  async stopPolling(): Promise<void> {
    this.pollStopped = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    await this.polling;
  }

  onApplicationBootstrap(): void {
    process.on('SIGHUP', this.onSighup);
    try {
      // Watch the folder: editors often replace the file (rename), which a watch on the file itself would lose.
      this.watcher = watch(this.env.configDir, (_event, name) => {
        if (name && String(name) !== MAPPING_FILE) return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload('file change'), WATCH_DEBOUNCE_MS);
      });
      this.watcher.on('error', () => this.logger?.warn({}, 'config watch failed; reload with SIGHUP'));
    } catch {
      this.logger?.warn({}, 'cannot watch the config folder; reload with SIGHUP');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    process.off('SIGHUP', this.onSighup);
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
    await this.stopPolling();
  }

  /**
   * Loads and checks the file; if it is valid, stores it as the new version (when a store is attached) and swaps it
   * in. One reload at a time.
   */
  async reload(trigger: string): Promise<ReloadOutcome> {
    return this.exclusive(() => this.doReload(trigger));
  }

  private async doReload(trigger: string): Promise<ReloadOutcome> {
    const at = new Date().toISOString();
    const checked = await this.check(() => readMappingText(this.env.configDir), trigger);
    const problems = checked.problems;
    let version = this.status.version;
    const digest = textDigest(checked.text);
    // This file has not changed since this instance read it: nothing new to share (storing this text again could
    // bring an older mapping back over a newer one another instance stored, e.g. on a file-change event that arrives
    // late). When it is the mapping in force it is applied again as before; when a newer stored version is in force,
    // that one stays.
    const unchanged = this.store !== null && digest === this.fileDigest;
    if (checked.next && unchanged && textDigest(this.text) !== digest) {
      this.status = { ...this.status, lastReload: { at, trigger, ok: true, problems: [] } };
      this.logger?.info(
        { trigger, version: version?.version },
        `${MAPPING_FILE} is unchanged since this instance read it: the newer stored version in force stays`,
      );
      return this.status.lastReload!;
    }
    if (checked.next && this.store && !unchanged) {
      try {
        const published = await this.store.publish(
          DEFAULT_PORTAL,
          { yaml: checked.text, storedBy: this.env.instanceId, trigger },
          new Date(),
        );
        version = published.stored;
      } catch (error) {
        this.logger?.error({ trigger, error: errorSummary(error) }, 'mapping reload: the store did not take it');
        problems.push(
          'the store did not answer, so the other instances could not get this mapping: reload again once it answers',
        );
      }
    }
    const ok = problems.length === 0 && checked.next !== null;
    this.status = { ...this.status, lastReload: { at, trigger, ok, problems } };
    if (ok) {
      this.settings = checked.next!;
      this.text = checked.text;
      this.fileDigest = digest;
      this.status.loadedAt = at;
      this.status.version = version;
      this.refusedVersion = null;
      this.logger?.info({ trigger, version: version?.version }, 'mapping reloaded');
    } else {
      this.logger?.error({ trigger, problems }, 'mapping reload refused: the previous mapping stays in force');
    }
    return this.status.lastReload!;
  }

  /**
   * Parses a mapping text and checks it as a reload does: the settings that need a restart, then the portal where
   * HubSpot answers. At start (`atStart`) neither: nothing was provisioned yet, and a file is not checked against
   * HubSpot at start either (the sync's provisioning does, before its first batch).
   */
  private async check(
    read: () => { text: string; fileName: string },
    trigger: string,
    atStart = false,
    portal = !atStart,
  ): Promise<{ text: string; next: ConnectorSettings | null; problems: string[] }> {
    let text = '';
    try {
      const source = read();
      text = source.text;
      const next = parseConnectorSettings(text, source.fileName);
      // Which vendors the mapping defines is fixed at start, a start with an earlier file included: they were
      // registered, and their secrets read, from this instance's own file.
      let problems = [
        ...definedVendorChanges(this.definedAtStart, next),
        ...(atStart ? [] : restartOnly(this.settings, next)),
      ];
      if (portal && problems.length === 0 && this.portalCheck) problems = (await this.portalCheck(next)) ?? [];
      return { text, next: problems.length === 0 ? next : null, problems };
    } catch (error) {
      // Problems are shown by /health/ready, which needs no token: an unexpected error is named by its kind only
      // (its text may hold a path or data); the log has it.
      if (!(error instanceof ConfigFileError))
        this.logger?.error({ trigger, error: errorSummary(error) }, 'mapping reload failed unexpectedly');
      const problems =
        error instanceof ConfigFileError
          ? error.problems
          : [
              `the mapping could not be checked (${error instanceof Error ? error.name : 'error'}): see the connector's log`,
            ];
      return { text, next: null, problems };
    }
  }

  /**
   * At start: which mapping is in force. This instance's file when the store has none, or holds it as its current
   * version already, or has never held it (a deploy with a new file: stored as the next version). When the file is
   * an earlier version's text (an instance started with an older file), the current version stays in force: a plain
   * start never takes a newer mapping back silently.
   */
  private async joinStore(store: MappingVersionStore): Promise<void> {
    const digest = textDigest(this.text);
    const head = await store.head(DEFAULT_PORTAL);
    if (head && head.digest !== digest) {
      const earlier = await store.findByDigest(DEFAULT_PORTAL, digest);
      const stored = earlier ? await store.current(DEFAULT_PORTAL) : null;
      if (earlier && stored) return this.takeAtStart(stored, earlier);
    }
    const { stored, created } = await store.publish(
      DEFAULT_PORTAL,
      { yaml: this.text, storedBy: this.env.instanceId, trigger: 'start' },
      new Date(),
    );
    this.status.version = stored;
    if (created)
      this.logger?.info(
        { version: stored.version, ...(head ? { previous: head.version } : {}) },
        `this instance's ${MAPPING_FILE} was never stored: it is now the mapping in force on every instance`,
      );
  }

  /** At start with an older file: the current stored version, checked as the file would be at start. */
  private async takeAtStart(stored: StoredMappingVersion, file: MappingVersionInfo): Promise<void> {
    const checked = await this.check(
      () => ({ text: stored.yaml, fileName: storedName(stored.version) }),
      'start',
      true,
    );
    if (checked.next) {
      this.swapIn(checked.next, stored);
      this.logger?.info(
        { version: stored.version, fileVersion: file.version, storedBy: stored.storedBy },
        `this instance's ${MAPPING_FILE} is an earlier version: the stored version in force is used`,
      );
      return;
    }
    this.status.version = file;
    this.refuse(stored, checked.problems);
  }

  private schedulePoll(): void {
    if (!this.store || this.pollStopped) return;
    this.pollTimer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        this.schedulePoll();
      });
    }, this.env.mappingPollMs).unref();
  }

  /** One look at the store's current version (its number and digest only); a new one is taken as a reload is. */
  private async poll(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const head = await this.fromStore(() => store.head(DEFAULT_PORTAL));
    if (!head || head.version === this.status.version?.version || head.version === this.refusedVersion) return;
    await this.exclusive(async () => {
      const stored = await this.fromStore(() => store.current(DEFAULT_PORTAL));
      // A reload here may have stored it meanwhile; a store restored from a backup may be behind: it is still the truth.
      if (!stored || stored.version === this.status.version?.version || stored.version === this.refusedVersion) return;
      await this.take(stored);
    });
  }

  /** A version another instance stored: checked as a reload is, then in force, or refused (health says why). */
  private async take(stored: StoredMappingVersion): Promise<void> {
    const at = new Date().toISOString();
    if (stored.digest === textDigest(this.text)) {
      // The text in force already (stored again after a change and a change back): only its number is new.
      this.status.version = infoOf(stored);
      this.refusedVersion = null;
      this.status.lastReload = { at, trigger: 'store', ok: true, problems: [], stored: infoOf(stored) };
      return;
    }
    const checked = await this.check(() => ({ text: stored.yaml, fileName: storedName(stored.version) }), 'store');
    if (!checked.next) return this.refuse(stored, checked.problems);
    this.swapIn(checked.next, stored);
    this.status.lastReload = { at, trigger: 'store', ok: true, problems: [], stored: infoOf(stored) };
    this.logger?.info(
      { version: stored.version, storedBy: stored.storedBy, trigger: stored.trigger },
      'mapping version from the store now in force',
    );
  }

  private swapIn(next: ConnectorSettings, stored: StoredMappingVersion): void {
    this.settings = next;
    this.text = stored.yaml;
    this.status.loadedAt = new Date().toISOString();
    this.status.version = infoOf(stored);
    this.refusedVersion = null;
  }

  private refuse(stored: StoredMappingVersion, problems: string[]): void {
    this.refusedVersion = stored.version;
    this.status.lastReload = {
      at: new Date().toISOString(),
      trigger: 'store',
      ok: false,
      problems,
      stored: infoOf(stored),
    };
    this.logger?.error(
      { version: stored.version, storedBy: stored.storedBy, inForce: this.status.version?.version, problems },
      'mapping version from the store refused here: the previous mapping stays in force',
    );
  }

  /** A read for the poll: a store that does not answer is logged once (and once when it answers again). */
  private async fromStore<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      const value = await read();
      if (this.storeFailing) this.logger?.info({}, 'mapping versions: the store answers again');
      this.storeFailing = false;
      return value;
    } catch (error) {
      if (!this.storeFailing)
        this.logger?.warn(
          { error: errorSummary(error) },
          'mapping versions: the store did not answer; the mapping in force stays, and the store is asked again',
        );
      this.storeFailing = true;
      return null;
    }
  }

  /** Runs `work` after the reloads and polls queued before it. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Whether a digest as shown (its first 12 or more hex characters) is the start of the full one. */
export function digestMatches(full: string, shown: string): boolean {
  const given = shown.trim().toLowerCase();
  return given.length >= 12 && /^[0-9a-f]+$/.test(given) && full.startsWith(given);
}

/**
 * Writes `file` as a whole or not at all: a temporary file beside it, flushed to disk, then renamed over it (a rename
 * within a folder is atomic), so that a reader (another process, the file watcher) never sees half a text.
 */
function writeFileAtomically(file: string, text: string): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function infoOf(stored: StoredMappingVersion): MappingVersionInfo {
  const { yaml: _text, ...info } = stored;
  return info;
}

/** Settings whose change needs a restart (the HubSpot property names the connector created and keys on). */
function restartOnly(current: ConnectorSettings, next: ConnectorSettings): string[] {
  const problems: string[] = [];
  for (const key of ['propertyGroup', 'uniquePhoneProperty'] as const) {
    if (current.hubspot[key] !== next.hubspot[key])
      problems.push(`hubspot.${key}: changes only take effect with a restart`);
  }
  return problems;
}

interface DefinedVendorIdentity {
  displayName: string;
  secretSetting: string;
}

function definedVendors(settings: ConnectorSettings): Map<string, DefinedVendorIdentity> {
  const vendors = new Map<string, DefinedVendorIdentity>();
  for (const [id, vendor] of Object.entries(settings.vendors))
    if (vendor.definition)
      vendors.set(id, { displayName: vendor.definition.displayName, secretSetting: vendor.definition.secretSetting });
  return vendors;
}

/**
 * Vendors defined in `mapping.yaml` are registered at start, and their secrets read from the environment then: a
 * mapping that adds or removes one, or changes its name or secret setting, takes effect only with a restart. Their
 * field paths, events, auth and every other setting reload as the rest of the file does.
 */
function definedVendorChanges(atStart: ReadonlyMap<string, DefinedVendorIdentity>, next: ConnectorSettings): string[] {
  const problems: string[] = [];
  const defined = definedVendors(next);
  for (const [id, identity] of defined) {
    const started = atStart.get(id);
    if (!started)
      problems.push(
        `vendors.${id}: a vendor defined since this instance started is served only after a restart with this ${MAPPING_FILE} (its secret setting is read at start)`,
      );
    else {
      if (started.secretSetting !== identity.secretSetting)
        problems.push(`vendors.${id}.definition.secretSetting: changes only take effect with a restart`);
      if (started.displayName !== identity.displayName)
        problems.push(`vendors.${id}.definition.displayName: changes only take effect with a restart`);
    }
  }
  for (const id of atStart.keys())
    if (!defined.has(id))
      problems.push(
        `vendors.${id}: defined when this instance started: removing it takes effect with a restart (enabled: false closes its endpoint now)`,
      );
  return problems;
}
