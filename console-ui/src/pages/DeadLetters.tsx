import { useState } from 'preact/hooks';
import { api, type ApiError, asApiError } from '../api';
import { ConfirmDialog, ErrorNote, Loading, PageTitle } from '../components';
import { formatTime, plural } from '../format';
import { useLoad } from '../hooks';
import { announce } from '../live';
import { ReplayProgress } from '../replay';
import type { DeadLetterGroup, ReplayAnswer, Session } from '../types';

/** What the operator asked to replay, waiting for the confirmation. */
type Ask = { kind: 'ids'; reason: string; ids: number[] } | { kind: 'reason'; reason: string; count: number };

function Group({
  group,
  index,
  admin,
  busy,
  onReplay,
}: {
  group: DeadLetterGroup;
  index: number;
  admin: boolean;
  busy: boolean;
  onReplay: (ask: Ask) => void;
}) {
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const allOn = group.ids.length > 0 && group.ids.every((id) => selected.has(id));
  const headingId = `group-${index}`;
  return (
    <section class="group" aria-labelledby={headingId}>
      <h2 id={headingId}>{group.reason}</h2>
      <p>
        <strong>{plural(group.count, 'event')}</strong> · newest {formatTime(group.newestAt)} ·{' '}
        {Object.entries(group.vendors)
          .map(([vendor, count]) => `${vendor}: ${count}`)
          .join(', ')}
      </p>
      <fieldset>
        <legend>Events{group.ids.length < group.count ? ` (the newest ${group.ids.length})` : ''}</legend>
        {admin ? (
          <label class="select-all">
            <input
              type="checkbox"
              checked={allOn}
              onChange={(event) => setSelected(event.currentTarget.checked ? new Set(group.ids) : new Set())}
            />{' '}
            Select all {group.ids.length}
          </label>
        ) : null}
        <ul class="id-list">
          {group.ids.map((id) => (
            <li key={id}>
              {admin ? (
                <label>
                  <input
                    type="checkbox"
                    checked={selected.has(id)}
                    onChange={(event) => toggle(id, event.currentTarget.checked)}
                  />
                  <span class="visually-hidden">Select event</span> #{id}
                </label>
              ) : null}{' '}
              <a href={`#/deliveries/${id}`} aria-label={`Open event ${id}`}>
                {admin ? 'open' : `#${id}`}
              </a>
            </li>
          ))}
        </ul>
      </fieldset>
      {admin ? (
        <div class="actions">
          <button
            type="button"
            disabled={busy || selected.size === 0}
            onClick={() =>
              onReplay({ kind: 'ids', reason: group.reason, ids: group.ids.filter((id) => selected.has(id)) })
            }
          >
            Replay selected{selected.size > 0 ? ` (${selected.size})` : ''}
          </button>
          <button
            type="button"
            class="primary"
            disabled={busy}
            onClick={() => onReplay({ kind: 'reason', reason: group.reason, count: group.count })}
          >
            Replay all {group.count} with this reason
          </button>
        </div>
      ) : null}
    </section>
  );
}

export function DeadLetters({ session }: { session: Session }) {
  const groups = useLoad(
    (signal) => api<{ groups: DeadLetterGroup[] }>('GET', '/dead-letters', undefined, { signal }),
    [],
  );
  const [ask, setAsk] = useState<Ask | null>(null);
  const [busy, setBusy] = useState(false);
  const [replayed, setReplayed] = useState<number[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const admin = session.kind === 'admin';

  const confirm = () => {
    if (!ask) return;
    const body = ask.kind === 'ids' ? { ids: ask.ids } : { reason: ask.reason };
    setAsk(null);
    setBusy(true);
    setError(null);
    setReplayed(null);
    api<ReplayAnswer>('POST', '/replay', body).then(
      (answer) => {
        setBusy(false);
        announce(`${plural(answer.queued, 'event')} queued again; watching them`);
        setReplayed(answer.ids);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(asApiError(failure));
      },
    );
  };

  const count = ask ? (ask.kind === 'ids' ? ask.ids.length : ask.count) : 0;
  const list = groups.data?.groups ?? null;
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Dead letters</PageTitle>
      <p class="muted">
        Events the connector gave up on, grouped by reason. Fix the cause (the mapping, the portal, the token) first,
        then replay them{admin ? '' : ' (an admin can)'}.
      </p>
      <div class="actions">
        <button type="button" onClick={groups.reload} disabled={groups.loading}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error} title="Not replayed" />
      {replayed ? <ReplayProgress ids={replayed} onFinished={groups.reload} /> : null}
      <ErrorNote error={groups.error} title="Dead letters not loaded" />
      {list === null ? (
        groups.error ? null : (
          <Loading what="the dead letters" />
        )
      ) : list.length === 0 ? (
        <p class="note note-ok">No dead letters.</p>
      ) : (
        list.map((group, index) => (
          <Group key={group.reason} group={group} index={index} admin={admin} busy={busy} onReplay={setAsk} />
        ))
      )}
      <ConfirmDialog
        open={ask !== null}
        title={`Replay ${plural(count, 'event')}?`}
        confirmLabel={`Replay ${count}`}
        onConfirm={confirm}
        onCancel={() => setAsk(null)}
      >
        <p>
          {ask?.kind === 'reason' ? 'Every dead event with the reason' : 'The selected events with the reason'}{' '}
          <q>{ask?.reason}</q> go back into the inbox and are synced to HubSpot again, with the mapping in force now.
        </p>
      </ConfirmDialog>
    </section>
  );
}
