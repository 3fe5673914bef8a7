import { ownValue } from './emulator-own-value.js';

/**
 * What search can see of one object type. HubSpot's search is eventually consistent: an object becomes visible
 * (with its new values) only `lagMs` after its last write; until then search keeps answering from the values it
 * indexed before. The index therefore holds its own snapshot of each object's properties and a queue of writes
 * waiting to become visible.
 */

type Properties = Readonly<Record<string, string>>;

/** A single id is kept without a Set, since most indexed values (emails, phones, keys) belong to one object. */
type IndexedIds = string | Set<string>;

interface PendingWrite {
  id: string;
  dueAt: number;
}

/** Longer values (call bodies) are left to scans; nobody looks those up by equality. */
const MAX_INDEXED_VALUE_LENGTH = 256;
const PENDING_COMPACTION_THRESHOLD = 1024;

export class SearchIndex {
  private readonly visible = new Map<string, Properties>();
  /** property → lowercased value → ids, over the visible snapshot only. */
  private readonly valueIndex = new Map<string, Map<string, IndexedIds>>();
  private pending: PendingWrite[] = [];
  private pendingHead = 0;
  private readonly dueAtById = new Map<string, number>();

  constructor(
    /** The object's current properties (copy-on-write in the store, so holding the reference is a snapshot). */
    private readonly currentProperties: (id: string) => Properties | undefined,
    /** Whether a property's values go into the equality index (strings and enumerations, not numbers or dates). */
    private readonly isIndexable: (property: string) => boolean,
    private lagMs: number,
  ) {}

  get lag(): number {
    return this.lagMs;
  }

  get visibleCount(): number {
    return this.visible.size;
  }

  get pendingCount(): number {
    return this.dueAtById.size;
  }

  setLag(lagMs: number): void {
    this.lagMs = lagMs;
    // Writes queued under another lag keep their due time; re-sort so the queue stays ordered by it.
    this.pending = this.pending.slice(this.pendingHead).sort((a, b) => a.dueAt - b.dueAt);
    this.pendingHead = 0;
  }

  /** Called after every create, update or delete of the object. */
  noteWrite(id: string, now: number): void {
    if (this.lagMs <= 0) {
      this.dueAtById.delete(id);
      this.apply(id);
      return;
    }
    const dueAt = now + this.lagMs;
    this.dueAtById.set(id, dueAt);
    this.pending.push({ id, dueAt });
  }

  /** Makes visible every write whose lag has passed. Search calls this before answering. */
  refresh(now: number): void {
    while (this.pendingHead < this.pending.length) {
      const next = this.pending[this.pendingHead];
      if (next === undefined || next.dueAt > now) break;
      this.pendingHead += 1;
      // A later write of the same object re-queued it with a later due time; only that entry applies.
      if (this.dueAtById.get(next.id) === next.dueAt) {
        this.dueAtById.delete(next.id);
        this.apply(next.id);
      }
    }
    if (this.pendingHead > PENDING_COMPACTION_THRESHOLD && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
  }

  /** Skips the lag for everything queued (a test control, and what loading a saved state does). */
  makeAllVisible(): void {
    for (const id of this.dueAtById.keys()) this.apply(id);
    this.dueAtById.clear();
    this.pending = [];
    this.pendingHead = 0;
  }

  /** Skips the lag for one object (seeded objects stand for data that has existed for long). */
  makeVisible(id: string): void {
    this.dueAtById.delete(id);
    this.apply(id);
  }

  clear(): void {
    this.visible.clear();
    this.valueIndex.clear();
    this.dueAtById.clear();
    this.pending = [];
    this.pendingHead = 0;
  }

  get(id: string): Properties | undefined {
    return this.visible.get(id);
  }

  ids(): IterableIterator<string> {
    return this.visible.keys();
  }

  /** Ids whose visible `property` equals `key` (already lowercased), or undefined when the property is not indexed. */
  lookup(property: string, key: string): Iterable<string> | undefined {
    if (!this.isIndexable(property) || key.length > MAX_INDEXED_VALUE_LENGTH) return undefined;
    const ids = this.valueIndex.get(property)?.get(key);
    if (ids === undefined) return [];
    return typeof ids === 'string' ? [ids] : ids;
  }

  private apply(id: string): void {
    const next = this.currentProperties(id);
    const previous = this.visible.get(id);
    if (previous === next) return;
    if (previous) this.unindex(id, previous);
    if (next) {
      this.visible.set(id, next);
      this.index(id, next);
    } else {
      this.visible.delete(id);
    }
  }

  private index(id: string, properties: Properties): void {
    for (const property in properties) {
      const value = ownValue(properties, property);
      if (value === undefined || value.length > MAX_INDEXED_VALUE_LENGTH || !this.isIndexable(property)) continue;
      let byValue = this.valueIndex.get(property);
      if (!byValue) {
        byValue = new Map();
        this.valueIndex.set(property, byValue);
      }
      const key = value.toLowerCase();
      const existing = byValue.get(key);
      if (existing === undefined) byValue.set(key, id);
      else if (typeof existing === 'string') byValue.set(key, new Set([existing, id]));
      else existing.add(id);
    }
  }

  private unindex(id: string, properties: Properties): void {
    for (const property in properties) {
      const value = ownValue(properties, property);
      if (value === undefined) continue;
      const byValue = this.valueIndex.get(property);
      if (!byValue) continue;
      const key = value.toLowerCase();
      const existing = byValue.get(key);
      if (existing === id) byValue.delete(key);
      else if (existing instanceof Set) {
        existing.delete(id);
        if (existing.size === 1) byValue.set(key, existing.values().next().value as string);
      }
    }
  }
}
