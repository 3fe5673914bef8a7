import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError, asApiError } from '../api';
import { ErrorNote, Loading, PageTitle } from '../components';
import { formatAge, formatHour, formatTime, plural } from '../format';
import { useLoad } from '../hooks';
import { own } from '../own';
import { announce } from '../live';
import { INBOX_STATUSES, type Overview as OverviewData, type SamplesSent, type Session } from '../types';

/** The overview follows the connector on its own, this often, while it is open. */
const REFRESH_MS = 15_000;

const SYNC_STATE_TONE: Record<string, string> = {
  ok: 'ok',
  starting: 'info',
  standby: 'info',
  'paused-daily-limit': 'warn',
  unavailable: 'warn',
  'auth-failed': 'bad',
  misconfigured: 'bad',
};

function tone(state: string): string {
  return own(SYNC_STATE_TONE, state) ?? 'info';
}

/** Calls synced per hour: plain SVG bars; a screen reader hears the total and the peak, and each bar's title. */
export function HourChart({ hours }: { hours: OverviewData['syncedPerHour'] }) {
  const width = 480;
  const height = 140;
  const bottom = 20;
  const max = Math.max(1, ...hours.map((hour) => hour.calls));
  const slot = width / Math.max(1, hours.length);
  const total = hours.reduce((sum, hour) => sum + hour.calls, 0);
  const peak = hours.reduce<OverviewData['syncedPerHour'][number] | null>(
    (best, hour) => (best === null || hour.calls > best.calls ? hour : best),
    null,
  );
  return (
    <figure class="chart" aria-labelledby="chart-caption">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-summary" focusable="false">
        <title id="chart-summary">
          {`${plural(total, 'call')} synced in the last ${hours.length} hours` +
            (peak && peak.calls > 0 ? `; most at ${formatHour(peak.hour)} (${peak.calls})` : '')}
        </title>
        {hours.map((hour, index) => {
          const barHeight = ((height - bottom - 4) * hour.calls) / max;
          return (
            <rect
              key={hour.hour}
              class="bar"
              x={index * slot + 1}
              y={height - bottom - barHeight}
              width={Math.max(1, slot - 2)}
              height={barHeight}
            >
              <title>{`${formatHour(hour.hour)}: ${plural(hour.calls, 'call')}`}</title>
            </rect>
          );
        })}
        <line class="axis" x1={0} x2={width} y1={height - bottom} y2={height - bottom} />
        {hours.map((hour, index) =>
          index % 6 === 0 ? (
            <text key={hour.hour} x={index * slot + 1} y={height - 5}>
              {formatHour(hour.hour)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption id="chart-caption" class="muted">
        Calls synced per hour, last {hours.length} hours (oldest first).
      </figcaption>
    </figure>
  );
}

export function Overview({ session }: { session: Session }) {
  const overview = useLoad((signal) => api<OverviewData>('GET', '/overview', undefined, { signal }), []);
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [sendError, setSendError] = useState<ApiError | null>(null);

  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') overview.reload();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
    // One timer for the page's life; reload is a fresh function each render but does the same.
  }, []);

  const sendSamples = () => {
    setSending(true);
    setSent(null);
    setSendError(null);
    api<SamplesSent>('POST', '/samples').then(
      (answer) => {
        const text = `Sent ${plural(answer.sent, 'sample call')} (${answer.vendors.join(', ')}). They show up under Deliveries.`;
        setSent(text);
        announce(text);
        setSending(false);
        overview.reload();
      },
      (error: unknown) => {
        setSendError(asApiError(error));
        setSending(false);
      },
    );
  };

  const data = overview.data;
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Overview</PageTitle>
      <div class="actions">
        <button type="button" onClick={overview.reload} disabled={overview.loading}>
          {overview.loading && data ? 'Refreshing…' : 'Refresh'}
        </button>
        {session.sandbox && session.kind === 'admin' ? (
          <button type="button" class="primary" onClick={sendSamples} disabled={sending}>
            {sending ? 'Sending…' : 'Send the sample calls'}
          </button>
        ) : null}
      </div>
      {sent ? <p class="note note-ok">{sent}</p> : null}
      <ErrorNote error={sendError} title="Samples not sent" />
      <ErrorNote error={overview.error} title="Overview not loaded" />
      {data === null ? (
        overview.error ? null : (
          <Loading what="the overview" />
        )
      ) : (
        <div class="cards">
          <section class="card" aria-labelledby="card-hubspot">
            <h2 id="card-hubspot">HubSpot sync</h2>
            <p>
              <span class={`badge badge-${tone(data.hubspot.state)}`}>{data.hubspot.state}</span>{' '}
              <span class="muted">since {formatTime(data.hubspot.since)}</span>
            </p>
            {data.hubspot.reason ? <p class="pre-wrap">{data.hubspot.reason}</p> : null}
            <dl class="pairs">
              <dt>Health</dt>
              <dd>
                <span class={`badge badge-${data.health.status}`}>{data.health.status}</span>
              </dd>
              <dt>Mode</dt>
              <dd>{data.mode === 'sandbox' ? 'sandbox (HubSpot emulator)' : 'HubSpot'}</dd>
              <dt>Portal</dt>
              <dd>{data.portalId ?? '—'}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="card-instance">
            <h2 id="card-instance">Sync instance</h2>
            <dl class="pairs">
              <dt>This instance</dt>
              <dd class="mono">{data.sync.instance}</dd>
              <dt>Role</dt>
              <dd>{data.sync.role}</dd>
              <dt>Leader</dt>
              <dd class="mono">{data.sync.leader ?? 'none'}</dd>
              <dt>Lease epoch</dt>
              <dd>{data.sync.epoch ?? '—'}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="card-backlog">
            <h2 id="card-backlog">Backlog</h2>
            <p class="big">{data.backlog.waiting.toLocaleString()}</p>
            <p>
              waiting to sync; the oldest pending for <strong>{formatAge(data.backlog.oldestPendingAgeSeconds)}</strong>
            </p>
          </section>
          <section class="card" aria-labelledby="card-inbox">
            <h2 id="card-inbox">Inbox</h2>
            <dl class="pairs">
              {INBOX_STATUSES.map((status) => (
                <Fragment key={status}>
                  <dt>
                    <a href={`#/deliveries?status=${status}`}>{status}</a>
                  </dt>
                  <dd>{(data.inbox[status] ?? 0).toLocaleString()}</dd>
                </Fragment>
              ))}
            </dl>
          </section>
          <section class="card" aria-labelledby="card-recordings">
            <h2 id="card-recordings">Recordings</h2>
            <dl class="pairs">
              <dt>State</dt>
              <dd>{data.recordings.state}</dd>
              <dt>Mode</dt>
              <dd>{data.recordings.mode}</dd>
              <dt>Waiting</dt>
              <dd>{data.recordings.waiting.toLocaleString()}</dd>
              <dt>Stored</dt>
              <dd>{data.recordings.stored.toLocaleString()}</dd>
              <dt>Dead</dt>
              <dd>{data.recordings.dead.toLocaleString()}</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="card-mapping">
            <h2 id="card-mapping">Mapping</h2>
            <dl class="pairs">
              <dt>Version</dt>
              <dd>{data.mapping.version ?? 'file only'}</dd>
              <dt>Digest</dt>
              <dd class="mono">{data.mapping.digest ?? '—'}</dd>
              <dt>In force since</dt>
              <dd>{formatTime(data.mapping.inForceSince)}</dd>
            </dl>
            <p>
              <a href="#/mapping">Edit the mapping</a>
            </p>
          </section>
          <section class="card" aria-labelledby="card-requests">
            <h2 id="card-requests">HubSpot requests</h2>
            <dl class="pairs">
              <dt>Sent</dt>
              <dd>{data.hubspotRequests.total.toLocaleString()}</dd>
              <dt>Rate-limited (429)</dt>
              <dd>{data.hubspotRequests.rateLimited.toLocaleString()}</dd>
            </dl>
          </section>
          <section class="card card-wide" aria-labelledby="card-chart">
            <h2 id="card-chart">Synced per hour</h2>
            <HourChart hours={data.syncedPerHour} />
          </section>
        </div>
      )}
    </section>
  );
}
