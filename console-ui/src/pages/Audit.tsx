import { useEffect, useRef } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, Loading, PageTitle } from '../components';
import { detailText, formatTime, plural } from '../format';
import { type KeysetPage, usePagedList } from '../hooks';
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

function AuditTable({ listing, focusRow }: { listing: KeysetPage<AuditItem>; focusRow: number | null }) {
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
  const { listing, loading, error, focusId, load } = usePagedList<AuditItem, null>(
    (_query, before, signal) =>
      api<AuditPage>('GET', `/audit?limit=${PAGE_SIZE}${before !== null ? `&before=${before}` : ''}`, undefined, {
        signal,
      }),
    {
      announce: (page, older) =>
        older
          ? `${plural(page.items.length, 'older entry', 'older entries')} added`
          : `${plural(page.items.length, 'entry', 'entries')} loaded${page.nextBefore !== null ? ', more are older' : ''}`,
    },
  );
  useEffect(() => load(null, null), []);

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Audit log</PageTitle>
      <p class="muted">
        Sign-ins and refused sign-ins, sign-outs, replays, mapping saves and reloads (here and through the admin API),
        samples sent. A session is shown by the first characters of its stored hash; no token is ever recorded.
      </p>
      <p>
        <button type="button" onClick={() => load(null, null)} disabled={loading !== null}>
          Refresh
        </button>
      </p>
      <ErrorNote error={error} title="Audit log not loaded" />
      {listing ? <AuditTable listing={listing} focusRow={focusId} /> : null}
      {loading ? <Loading what={loading === 'older' ? 'older entries' : 'the audit log'} /> : null}
      {listing && listing.nextBefore !== null ? (
        <p>
          <button type="button" onClick={() => load(null, listing.nextBefore)} disabled={loading !== null}>
            Older
          </button>
        </p>
      ) : null}
    </section>
  );
}
