import { useState } from 'preact/hooks';
import { api, type ApiError, asApiError } from '../api';
import { ConfirmDialog, ErrorNote, ExternalLink, Loading, PageTitle, StatusBadge } from '../components';
import { formatAge, formatTime } from '../format';
import { useLoad } from '../hooks';
import { announce } from '../live';
import { ReplayProgress } from '../replay';
import type { CallRecord, Delivery as DeliveryData, ReplayAnswer, Session } from '../types';

function RecordView({ record, index }: { record: CallRecord; index: number }) {
  const phone = record.customer?.phone;
  return (
    <section class="card" aria-labelledby={`record-${index}`}>
      <h3 id={`record-${index}`}>
        Call record {index + 1}
        {record.vendorCallId ? (
          <>
            : <span class="mono">{record.vendorCallId}</span>
          </>
        ) : null}
      </h3>
      <dl class="pairs">
        <dt>Event</dt>
        <dd class="mono">{record.eventName ?? '—'}</dd>
        <dt>Direction</dt>
        <dd>{record.direction ?? '—'}</dd>
        <dt>Outcome</dt>
        <dd>{record.outcome ?? '—'}</dd>
        <dt>Started</dt>
        <dd>{formatTime(record.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{typeof record.durationSeconds === 'number' ? formatAge(record.durationSeconds) : '—'}</dd>
        <dt>Customer phone</dt>
        <dd>{phone?.e164 ?? phone?.raw ?? '—'}</dd>
        <dt>Customer name</dt>
        <dd>{record.customer?.name ?? '—'}</dd>
      </dl>
      <details>
        <summary>Every field of this record</summary>
        <pre>{JSON.stringify(record, null, 2)}</pre>
      </details>
    </section>
  );
}

export function Delivery({ id, session }: { id: string; session: Session }) {
  const delivery = useLoad(
    (signal) => api<DeliveryData>('GET', `/deliveries/${encodeURIComponent(id)}`, undefined, { signal }),
    [id],
  );
  const [confirming, setConfirming] = useState(false);
  const [replayed, setReplayed] = useState<number[] | null>(null);
  const [replayError, setReplayError] = useState<ApiError | null>(null);

  const replay = () => {
    setConfirming(false);
    setReplayError(null);
    api<ReplayAnswer>('POST', '/replay', { ids: [Number(id)] }).then(
      (answer) => {
        announce(answer.queued > 0 ? 'Event queued again' : 'Nothing was queued');
        setReplayed(answer.ids);
      },
      (error: unknown) => setReplayError(asApiError(error)),
    );
  };

  const data = delivery.data;
  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="#/deliveries">← Deliveries</a>
      </p>
      <PageTitle>Event #{id}</PageTitle>
      <ErrorNote error={delivery.error} title="Event not loaded" />
      {data === null ? (
        delivery.error ? null : (
          <Loading what={`event ${id}`} />
        )
      ) : (
        <>
          <div class="actions">
            <button type="button" onClick={delivery.reload} disabled={delivery.loading}>
              Refresh
            </button>
            <a href={`#/mapping?event=${data.id}`}>Preview the mapping on this event</a>
            {data.status === 'dead' && session.kind === 'admin' ? (
              <button type="button" class="primary" onClick={() => setConfirming(true)}>
                Replay this event
              </button>
            ) : null}
          </div>
          <ErrorNote error={replayError} title="Not replayed" />
          {replayed ? <ReplayProgress ids={replayed} onFinished={delivery.reload} /> : null}
          <ConfirmDialog
            open={confirming}
            title="Replay this event?"
            confirmLabel="Replay"
            onConfirm={replay}
            onCancel={() => setConfirming(false)}
          >
            <p>
              Event #{data.id} goes back into the inbox and is synced to HubSpot again, with the mapping in force now.
            </p>
          </ConfirmDialog>
          <div class="cards">
            <section class="card" aria-labelledby="event-state">
              <h2 id="event-state">State</h2>
              <dl class="pairs">
                <dt>Status</dt>
                <dd>
                  <StatusBadge status={data.status} />
                </dd>
                <dt>Attempts</dt>
                <dd>{data.attempts}</dd>
                <dt>Next attempt</dt>
                <dd>{formatTime(data.nextAttemptAt)}</dd>
                <dt>Received</dt>
                <dd>{formatTime(data.receivedAt)}</dd>
                <dt>Updated</dt>
                <dd>{formatTime(data.updatedAt)}</dd>
                <dt>Revision</dt>
                <dd>{data.revision}</dd>
              </dl>
            </section>
            <section class="card" aria-labelledby="event-source">
              <h2 id="event-source">Source</h2>
              <dl class="pairs">
                <dt>Vendor</dt>
                <dd>{data.vendor}</dd>
                <dt>Event name</dt>
                <dd class="mono">{data.eventName}</dd>
                <dt>Event key</dt>
                <dd class="mono">{data.eventKey}</dd>
              </dl>
            </section>
            <section class="card" aria-labelledby="event-hubspot">
              <h2 id="event-hubspot">In HubSpot</h2>
              <dl class="pairs">
                <dt>Contact</dt>
                <dd>
                  {data.hubspot.contactUrl ? (
                    <ExternalLink href={data.hubspot.contactUrl}>Contact {data.hubspot.contactId}</ExternalLink>
                  ) : (
                    (data.hubspot.contactId ?? '—')
                  )}
                </dd>
                <dt>Call</dt>
                <dd>
                  {data.hubspot.callUrl ? (
                    <ExternalLink href={data.hubspot.callUrl}>Call {data.hubspot.callId}</ExternalLink>
                  ) : (
                    (data.hubspot.callId ?? '—')
                  )}
                </dd>
              </dl>
            </section>
          </div>
          {data.lastError || data.correlationId ? (
            <section aria-labelledby="event-error">
              <h2 id="event-error">Last error</h2>
              {data.lastError ? <p class="note note-error pre-wrap">{data.lastError}</p> : null}
              {data.correlationId ? (
                <p>
                  HubSpot correlation id: <span class="mono">{data.correlationId}</span>{' '}
                  <span class="muted">(give it to HubSpot support)</span>
                </p>
              ) : null}
            </section>
          ) : null}
          <section aria-labelledby="event-records">
            <h2 id="event-records">Call records</h2>
            {data.records && data.records.length > 0 ? (
              <div class="cards">
                {data.records.map((record, index) => (
                  <RecordView key={index} record={record} index={index} />
                ))}
              </div>
            ) : (
              <p class="muted">No call record (the payload was not mapped{data.pruned ? ', or was pruned' : ''}).</p>
            )}
          </section>
          <section aria-labelledby="event-payload">
            <h2 id="event-payload">Payload</h2>
            {data.pruned || data.payload === null ? (
              <p class="muted">The payload was pruned after the retention period.</p>
            ) : (
              <details>
                <summary>Raw payload as received</summary>
                <pre tabIndex={0} aria-label="Raw payload">
                  {JSON.stringify(data.payload, null, 2)}
                </pre>
              </details>
            )}
          </section>
        </>
      )}
    </section>
  );
}
