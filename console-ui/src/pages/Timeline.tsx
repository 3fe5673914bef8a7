import { useRef, useState } from 'preact/hooks';
import { api, type ApiError, asApiError, isAbort } from '../api';
import { ErrorNote, ExternalLink, PageTitle } from '../components';
import { formatDuration, formatTime, plural } from '../format';
import { announce } from '../live';
import { sanitizeHtml } from '../sanitize';
import type { Timeline as TimelineData, TimelineCall } from '../types';

function lower(text: string | null): string {
  return text ? text.toLowerCase().replace(/_/g, ' ') : '—';
}

function CallCard({ call }: { call: TimelineCall }) {
  const headingId = `call-${call.id}`;
  return (
    <li>
      <article class="call-card" aria-labelledby={headingId}>
        <h3 id={headingId}>{call.title || 'Call'}</h3>
        <ul class="call-meta">
          <li>
            <time dateTime={call.timestamp}>{formatTime(call.timestamp)}</time>
          </li>
          <li>Direction: {lower(call.direction)}</li>
          <li>Status: {lower(call.status)}</li>
          <li>Outcome: {call.outcome ?? '—'}</li>
          <li>Duration: {formatDuration(call.durationMs)}</li>
        </ul>
        <div class="call-body" dangerouslySetInnerHTML={{ __html: sanitizeHtml(call.bodyHtml) }} />
        {call.recordingUrl ? (
          <audio
            controls
            preload="none"
            src={call.recordingUrl}
            aria-label={`Recording of ${call.title || 'the call'}`}
          >
            <a href={call.recordingUrl}>Download the recording</a>
          </audio>
        ) : null}
        {call.attachments.length > 0 ? (
          <p>
            Attachments:{' '}
            {call.attachments.map((attachment, index) => (
              <span key={attachment.id}>
                {index > 0 ? ', ' : ''}
                {attachment.url ? (
                  <ExternalLink href={attachment.url}>file {attachment.id}</ExternalLink>
                ) : (
                  `file ${attachment.id}`
                )}
              </span>
            ))}
          </p>
        ) : null}
        {call.url ? (
          <p>
            <ExternalLink href={call.url}>Open the call in HubSpot</ExternalLink>
          </p>
        ) : null}
      </article>
    </li>
  );
}

export function Timeline() {
  const [phone, setPhone] = useState('');
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [result, setResult] = useState<TimelineData | null>(null);
  const pending = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const submit = (event: Event) => {
    event.preventDefault();
    if (phone.trim() === '') {
      setError(asApiError(new Error('Enter a phone number.')));
      input.current?.focus();
      return;
    }
    pending.current?.abort();
    const controller = new AbortController();
    pending.current = controller;
    setLoading(true);
    setError(null);
    api<TimelineData>('GET', `/timeline?phone=${encodeURIComponent(phone.trim())}`, undefined, {
      signal: controller.signal,
    }).then(
      (timeline) => {
        if (controller.signal.aborted) return;
        setResult(timeline);
        setLoading(false);
        announce(
          timeline.contact
            ? `${plural(timeline.calls.length, 'call')} on the contact's timeline`
            : 'No contact has this number',
        );
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbort(failure)) return;
        setLoading(false);
        setError(asApiError(failure));
      },
    );
  };

  return (
    <section aria-labelledby="page-title">
      <PageTitle>What sales see</PageTitle>
      <p class="muted">A contact's calls as HubSpot's timeline shows them to the sales team.</p>
      <form onSubmit={submit} class="actions" role="search" aria-label="Contact by phone">
        <div class="field">
          <label for="t-phone">Phone number</label>
          <input
            id="t-phone"
            ref={input}
            type="tel"
            autoComplete="off"
            value={phone}
            onInput={(event) => setPhone(event.currentTarget.value)}
            aria-describedby="t-phone-hint"
          />
          <span id="t-phone-hint" class="hint">
            Any format, e.g. +86 175 3498 9887
          </span>
        </div>
        <button type="submit" class="primary" disabled={loading}>
          {loading ? 'Looking…' : 'Show the timeline'}
        </button>
      </form>
      <ErrorNote error={error} />
      {result ? (
        result.contact === null ? (
          <p class="note">No contact in HubSpot has this number.</p>
        ) : (
          <>
            <div class="contact-header">
              <h2>{result.contact.name ?? 'Unnamed contact'}</h2>
              <p>
                {result.contact.phone ?? ''}
                {result.contact.phone ? ' · ' : ''}contact {result.contact.id}
                {result.contact.url ? (
                  <>
                    {' · '}
                    <ExternalLink href={result.contact.url}>Open in HubSpot</ExternalLink>
                  </>
                ) : null}
              </p>
            </div>
            {result.calls.length === 0 ? (
              <p>No calls on this contact.</p>
            ) : (
              <ol class="timeline" aria-label="Calls, newest first">
                {result.calls.map((call) => (
                  <CallCard key={call.id} call={call} />
                ))}
              </ol>
            )}
          </>
        )
      ) : null}
    </section>
  );
}
