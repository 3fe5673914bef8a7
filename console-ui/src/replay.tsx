import { useEffect, useRef, useState } from 'preact/hooks';
import { api, isAbort } from './api';
import { plural } from './format';
import { announce } from './live';
import { countStatuses, describeCounts, MAX_POLLS, nextToPoll, POLL_INTERVAL_MS } from './replay-state';
import type { Delivery } from './types';

/** Follows replayed events (`GET /deliveries/:id`) until each settles or the polls run out. */
export function ReplayProgress({ ids, onFinished }: { ids: number[]; onFinished?: () => void }) {
  const [statuses, setStatuses] = useState<ReadonlyMap<number, string>>(new Map());
  const [polls, setPolls] = useState(0);
  const [finished, setFinished] = useState(false);
  const finishedRef = useRef(onFinished);
  finishedRef.current = onFinished;

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    let known = new Map<number, string>();
    const poll = async (round: number): Promise<void> => {
      const batch = nextToPoll(ids, known, round);
      const answers = await Promise.all(
        batch.map((id) =>
          api<Delivery>('GET', `/deliveries/${id}`, undefined, { signal: controller.signal }).then(
            (delivery) => [id, delivery.status] as const,
            (error: unknown) => {
              if (isAbort(error)) throw error;
              return null;
            },
          ),
        ),
      );
      if (controller.signal.aborted) return;
      known = new Map(known);
      for (const answer of answers) if (answer) known.set(answer[0], answer[1]);
      setStatuses(known);
      setPolls(round + 1);
      const settled = nextToPoll(ids, known, 0).length === 0;
      if (settled || round + 1 >= MAX_POLLS) {
        setFinished(true);
        const counts = countStatuses(ids, known);
        announce(
          settled
            ? `Replay finished: ${describeCounts(counts)}.`
            : `Stopped watching the replay: ${describeCounts(counts)}.`,
        );
        finishedRef.current?.();
        return;
      }
      timer = window.setTimeout(() => void poll(round + 1).catch(() => undefined), POLL_INTERVAL_MS);
    };
    timer = window.setTimeout(() => void poll(0).catch(() => undefined), POLL_INTERVAL_MS);
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [ids]);

  const counts = countStatuses(ids, statuses);
  const settledCount = counts.synced + counts.dead + counts.skipped;
  return (
    <div class="note" aria-busy={!finished}>
      <p>
        <strong>{finished ? 'Replay watched' : 'Watching the replay'}</strong> of {plural(ids.length, 'event')}:{' '}
        {describeCounts(counts)}.
      </p>
      <label class="visually-hidden" for="replay-progress">
        Replayed events settled
      </label>
      <progress id="replay-progress" max={Math.max(1, ids.length)} value={settledCount}>
        {settledCount} of {ids.length}
      </progress>
      {finished && counts.waiting + counts.retrying > 0 ? (
        <p>
          Stopped after {plural(polls, 'check')}; the rest go on in the background: see{' '}
          <a href="#/deliveries">Deliveries</a>.
        </p>
      ) : null}
    </div>
  );
}
