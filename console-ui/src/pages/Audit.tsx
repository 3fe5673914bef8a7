import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError, asApiError, isAbort } from '../api';
import { ErrorNote, Loading, PageTitle } from '../components';
import { detailText, formatTime, plural } from '../format';
import { announce } from '../live';
import { own } from '../own';
import type { AuditItem, AuditPage } from '../types';

/** Entries per page; "Older" adds the next page below. */
const PAGE_SIZE = 50;

const ACTORS: Record<string, string> = {
  admin: 'admin',
  viewer: 'viewer',
  'sandbox-link': 'admin (sandbox link)',
  'admin-api': 'admin API token',
  unknown: 'nobody signed in',
};

interface Listing {
  items: AuditItem[];
  nextBefore: number | null;
}

function AuditTable({ listing, focusRow }: { listing: Listing; focusRow: number | null }) {
  const body = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    if (focusRow !== null) body.current?.querySelector<HTMLElement>(`[data-entry="${focusRow}"]`)?.focus();
  }, [focusRow]);
  const { items } = listing;
  if (items.length === 0) return <p>Nothing recorded yet.</p>;
  return (
    <div class="table-wrap" role="region" aria-labelledby="audit-caption" tabIndex={0}>
      <table>
        <caption id="audit-caption">
          {plural(items.length, 'entry', 'entries')}, newest first
          {listing.nextBefore !== null ? ' (older ones follow)' : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Session</th>
            <th scope="col">Action</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody ref={body}>
          {items.map((item) => (
            <tr key={item.id}>
              <td>
                <time dateTime={item.at}>{formatTime(item.at)}</time>
              </td>
              <td>{own(ACTORS, item.actor) ?? item.actor}</td>
              <td>
                <code>{item.session ?? '—'}</code>
              </td>
              {/* Focusable from script only: after "Older", focus lands on the first entry added. */}
              <th scope="row" tabIndex={-1} data-entry={item.id}>
                {item.action}
              </th>
              <td>{detailText(item.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The audit log: who signed in (or was refused), replayed, saved or reloaded the mapping, sent samples. */
export function Audit() {
  const [listing, setListing] = useState<Listing | null>(null);
  /** What is being loaded: the newest page (at first, or on Refresh), or an older page. */
  const [loading, setLoading] = useState<'newest' | 'older' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [focusRow, setFocusRow] = useState<number | null>(null);
  const pending = useRef<AbortController | null>(null);

  /** The newest page (`before` null), or the page older than `before`, added below what is shown. */
  const load = (before: number | null) => {
    pending.current?.abort();
    const controller = new AbortController();
    pending.current = controller;
    setLoading(before === null ? 'newest' : 'older');
    setError(null);
    const query = `limit=${PAGE_SIZE}${before !== null ? `&before=${before}` : ''}`;
    api<AuditPage>('GET', `/audit?${query}`, undefined, { signal: controller.signal }).then(
      (page) => {
        if (controller.signal.aborted) return;
        setListing((shown) => ({
          items: before === null ? page.items : [...(shown?.items ?? []), ...page.items],
          nextBefore: page.nextBefore,
        }));
        setFocusRow(before !== null && page.items.length > 0 ? (page.items[0]?.id ?? null) : null);
        setLoading(null);
        announce(
          before === null
            ? `${plural(page.items.length, 'entry', 'entries')} loaded${page.nextBefore !== null ? ', more are older' : ''}`
            : `${plural(page.items.length, 'older entry', 'older entries')} added`,
        );
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbort(failure)) return;
        setError(asApiError(failure));
        setLoading(null);
      },
    );
  };

  useEffect(() => {
    load(null);
    return () => pending.current?.abort();
  }, []);

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Audit log</PageTitle>
      <p class="muted">
        Sign-ins and refused sign-ins, sign-outs, replays, mapping saves and reloads (here and through the admin API),
        samples sent. A session is shown by the first characters of its stored hash; no token is ever recorded.
      </p>
      <p>
        <button type="button" onClick={() => load(null)} disabled={loading !== null}>
          Refresh
        </button>
      </p>
      <ErrorNote error={error} title="Audit log not loaded" />
      {listing ? <AuditTable listing={listing} focusRow={focusRow} /> : null}
      {loading ? <Loading what={loading === 'older' ? 'older entries' : 'the audit log'} /> : null}
      {listing && listing.nextBefore !== null ? (
        <p>
          <button type="button" onClick={() => load(listing.nextBefore)} disabled={loading !== null}>
            Older
          </button>
        </p>
      ) : null}
    </section>
  );
}
