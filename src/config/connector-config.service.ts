import { errorSummary } from '../common/app-exception.filter.js';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { AppLogger } from '../logging/app-logger.js';
import { APP_ENV, CONNECTOR_SETTINGS } from './config.tokens.js';
import { ConfigFileError, MAPPING_FILE, type ConnectorSettings } from './mapping/mapping-settings.js';
import { loadConnectorSettings } from './mapping/mapping-file.js';
import type { AppEnv } from './env.schema.js';

/** Checks a parsed mapping against the portal: problems, or null when HubSpot cannot be reached to check. */
export type PortalCheck = (settings: ConnectorSettings) => Promise<string[] | null>;

export interface ReloadStatus {
  file: string;
  loadedAt: string;
  lastReload: { at: string; trigger: string; ok: boolean; problems: string[] } | null;
}

/** Debounce for file-change events: editors write a file in several steps. */
const WATCH_DEBOUNCE_MS = 150;

/**
 * The mapping in force. Components take `current()` once per batch or request, so a reload swaps it atomically
 * between batches. A reload (file change, SIGHUP, or `reload()`) parses and checks the file, and against the portal
 * where HubSpot answers; an invalid edit never replaces the running mapping: it is logged, shown in health, and the
 * last good mapping stays.
 */
@Injectable()
export class ConnectorConfig implements OnApplicationBootstrap, OnApplicationShutdown {
  private settings: ConnectorSettings;
  private status: ReloadStatus;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private portalCheck: PortalCheck | null = null;
  private reloading: Promise<ReloadStatus['lastReload']> | null = null;
  private readonly onSighup = (): void => void this.reload('SIGHUP');

  constructor(
    @Inject(CONNECTOR_SETTINGS) initial: ConnectorSettings,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Optional() @Inject(AppLogger) private readonly logger: AppLogger | null,
  ) {
    this.settings = initial;
    this.status = { file: join(env.configDir, MAPPING_FILE), loadedAt: new Date().toISOString(), lastReload: null };
  }

  current(): ConnectorSettings {
    return this.settings;
  }

  reloadStatus(): ReloadStatus {
    return this.status;
  }

  /** Registered by the HubSpot side, so that a reload is checked against the portal before it goes live. */
  setPortalCheck(check: PortalCheck): void {
    this.portalCheck = check;
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

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onSighup);
    if (this.debounce) clearTimeout(this.debounce);
    this.watcher?.close();
  }

  /** Loads and checks the file; swaps it in if it is valid. One reload at a time. */
  async reload(trigger: string): Promise<ReloadStatus['lastReload']> {
    while (this.reloading) await this.reloading;
    this.reloading = this.doReload(trigger);
    try {
      return await this.reloading;
    } finally {
      this.reloading = null;
    }
  }

  private async doReload(trigger: string): Promise<ReloadStatus['lastReload']> {
    const at = new Date().toISOString();
    let problems: string[];
    let next: ConnectorSettings | null = null;
    try {
      next = loadConnectorSettings(this.env.configDir);
      problems = restartOnly(this.settings, next);
      if (problems.length === 0 && this.portalCheck) problems = (await this.portalCheck(next)) ?? [];
    } catch (error) {
      // Problems are shown by /health/ready, which needs no token: an unexpected error is named by its kind only
      // (its text may hold a path or data); the log has it.
      if (!(error instanceof ConfigFileError))
        this.logger?.error({ trigger, error: errorSummary(error) }, 'mapping reload failed unexpectedly');
      problems =
        error instanceof ConfigFileError
          ? error.problems
          : [
              `the mapping could not be checked (${error instanceof Error ? error.name : 'error'}): see the connector's log`,
            ];
    }
    const ok = problems.length === 0 && next !== null;
    this.status = { ...this.status, lastReload: { at, trigger, ok, problems } };
    if (ok) {
      this.settings = next!;
      this.status.loadedAt = at;
      this.logger?.info({ trigger }, 'mapping reloaded');
    } else {
      this.logger?.error({ trigger, problems }, 'mapping reload refused: the previous mapping stays in force');
    }
    return this.status.lastReload;
  }
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
