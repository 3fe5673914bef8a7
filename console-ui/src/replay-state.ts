// Following a replay: which events to ask about next, and how many reached which status.
import type { InboxStatus } from './types';

/** Once a second, at most this many times: then the page stops watching (the list has the rest). */
export const MAX_POLLS = 60;
export const POLL_INTERVAL_MS = 1_000;
/** Events asked about per poll, at most: a replay of hundreds is followed a slice at a time, not in one burst. */
export const EVENTS_PER_POLL = 20;

/** Where a replayed event can stop: it is not watched any longer. */
const SETTLED: ReadonlySet<string> = new Set<InboxStatus>(['synced', 'skipped', 'dead']);

export interface ReplayCounts {
  synced: number;
  retrying: number;
  dead: number;
  skipped: number;
  waiting: number;
}

export function countStatuses(ids: number[], statuses: ReadonlyMap<number, string>): ReplayCounts {
  const counts: ReplayCounts = { synced: 0, retrying: 0, dead: 0, skipped: 0, waiting: 0 };
  for (const id of ids) {
    const status = statuses.get(id);
    if (status === 'synced' || status === 'retrying' || status === 'dead' || status === 'skipped') counts[status] += 1;
    else counts.waiting += 1;
  }
  return counts;
}

/** The next events to ask about: the unsettled ones, taking turns when there are more than one poll's worth. */
export function nextToPoll(ids: number[], statuses: ReadonlyMap<number, string>, round: number): number[] {
  const open = ids.filter((id) => !SETTLED.has(statuses.get(id) ?? ''));
  if (open.length <= EVENTS_PER_POLL) return open;
  const start = (round * EVENTS_PER_POLL) % open.length;
  return [...open.slice(start), ...open.slice(0, start)].slice(0, EVENTS_PER_POLL);
}

export function describeCounts(counts: ReplayCounts): string {
  const parts = [`${counts.synced} synced`, `${counts.retrying} retrying`, `${counts.dead} dead again`];
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  parts.push(`${counts.waiting} waiting`);
  return parts.join(', ');
}
