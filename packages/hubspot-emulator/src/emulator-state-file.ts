/**
 * Keeps the emulator's portal (properties, groups, objects, associations) in a JSON file, so sandbox mode keeps
 * its data across restarts. Saves are debounced (one save per burst of writes) and atomic (temp file + rename).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SavedObjectStore } from './emulator-object-store.js';
import type { SavedPropertyRegistry } from './emulator-property-registry.js';

export interface PersistedEmulatorState {
  version: 1;
  savedAt: string;
  registry: SavedPropertyRegistry;
  store: SavedObjectStore;
}

export const DEFAULT_SAVE_DEBOUNCE_MS = 250;

export class EmulatorStateFile {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> | undefined;
  private dirty = false;

  constructor(
    readonly path: string,
    private readonly snapshot: () => PersistedEmulatorState,
    private readonly debounceMs: number = DEFAULT_SAVE_DEBOUNCE_MS,
  ) {}

  /** The saved state, or undefined when the file does not exist yet. A corrupt file fails start-up loudly. */
  static load(path: string): PersistedEmulatorState | undefined {
    if (!existsSync(path)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(
        `HubSpot emulator state file ${path} is not valid JSON (${(error as Error).message}); move it away to start empty.`,
        { cause: error },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== 1) {
      throw new Error(`HubSpot emulator state file ${path} has an unknown format (expected version 1).`);
    }
    return parsed as PersistedEmulatorState;
  }

  markDirty(): void {
    this.dirty = true;
    if (this.timer || this.saving) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.saveNow().catch((error: unknown) => {
        // A failed background save must not crash the emulator; the next write or close() tries again.
        process.emitWarning(`HubSpot emulator could not save ${this.path}: ${(error as Error).message}`);
      });
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes any pending change now (used on close). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.saving) await this.saving;
    if (this.dirty) await this.saveNow();
  }

  private async saveNow(): Promise<void> {
    if (this.saving) return this.saving;
    this.dirty = false;
    const text = JSON.stringify(this.snapshot());
    this.saving = (async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      await writeFile(temporary, text, 'utf8');
      await rename(temporary, this.path);
    })();
    try {
      await this.saving;
    } catch (error) {
      this.dirty = true;
      throw error;
    } finally {
      this.saving = undefined;
    }
    // Writes that arrived during the save schedule the next one.
    if (this.dirty) this.markDirty();
  }
}
