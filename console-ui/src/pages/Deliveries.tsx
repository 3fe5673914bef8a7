import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote, PageTitle, StatusBadge } from '../components';
import { formatTime, plural } from '../format';
import { type PagedListing, usePagedList } from '../hooks';
import { deliveriesQuery, type Filters, NO_FILTERS } from '../query';
import { type DeliveryPage, type DeliverySummary, INBOX_STATUSES } from '../types';

const PAGE_SIZE = 50;
/** The vendors the connector ships with; a config may define more (they appear once seen in the list). */
const KNOWN_VENDORS = ['voicefox', 'yunfu', 'retell', 'vapi', 'elevenlabs'];

/** The list as it was left: back from an event's page, the operator finds the same filters and rows. */
let remembered: PagedListing<DeliverySummary, Filters> | null = null;

export function Deliveries({ status }: { status: string | null }) {
  const start = status !== null ? { ...NO_FILTERS, status } : (remembered?.query ?? NO_FILTERS);
  const [draft, setDraft] = useState<Filters>(start);
  // After "Older", the first added row takes focus (`focusId`: the button may be gone, having no more to load).
  const {
    listing,
    loading: reading,
    error,
    focusId,
    load,
  } = usePagedList<DeliverySummary, Filters>(
    (filters, before, signal) =>
      api<DeliveryPage>('GET', `/deliveries?${deliveriesQuery(filters, before, PAGE_SIZE)}`, undefined, { signal }),
    {
      initial: remembered && status === null ? remembered : null,
      onListing: (next) => (remembered = next),
      announce: (page, older) =>
        older
          ? `${plural(page.items.length, 'older delivery', 'older deliveries')} added`
          : `${plural(page.items.length, 'delivery', 'deliveries')} found${page.nextBefore !== null ? ', more are older' : ''}`,
    },
  );
  const loading = reading !== null;

  // A link such as the overview's `#/deliveries?status=dead` starts a new search; else the list left is shown.
  useEffect(() => {
    if (status !== null) {
      // Taken into the form; the address goes back to the plain list, so "back" from an event keeps this search.
      history.replaceState(null, '', `${location.pathname}${location.search}#/deliveries`);
      const filters = { ...NO_FILTERS, status };
      setDraft(filters);
      load(filters, null);
    } else if (!remembered) load(NO_FILTERS, null);
  }, [status]);

  const set = (field: keyof Filters) => (event: Event) =>
    setDraft({ ...draft, [field]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });

  const submit = (event: Event) => {
    event.preventDefault();
    load(draft, null);
  };

  const clear = () => {
    setDraft(NO_FILTERS);
    load(NO_FILTERS, null);
  };

  const vendors = [...new Set([...KNOWN_VENDORS, ...(listing?.items ?? []).map((item) => item.vendor)])].sort();

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Deliveries</PageTitle>
      <form class="filters" onSubmit={submit} role="search" aria-label="Deliveries">
        <div class="field">
          <label for="f-vendor">Vendor</label>
          <input id="f-vendor" type="text" list="f-vendors" value={draft.vendor} onInput={set('vendor')} />
          <datalist id="f-vendors">
            {vendors.map((vendor) => (
              <option key={vendor} value={vendor} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" value={draft.status} onChange={set('status')}>
            <option value="">any</option>
            {INBOX_STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-from">Received from</label>
          <input id="f-from" type="date" value={draft.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="f-to">Received to (including)</label>
          <input id="f-to" type="date" value={draft.to} onInput={set('to')} />
        </div>
        <div class="field">
          <label for="f-q">Call id or phone</label>
          <input
            id="f-q"
            type="search"
            value={draft.q}
            onInput={set('q')}
            autoComplete="off"
            aria-describedby="f-q-hint"
          />
          <span id="f-q-hint" class="hint">
            A vendor call id, or a number in any format
          </span>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={loading}>
            Search
          </button>
          <button type="button" onClick={clear} disabled={loading}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={error} title="Deliveries not loaded" />
      {listing ? <DeliveryTable items={listing.items} focusRow={focusId} /> : null}
      {loading ? (
        <p class="muted" role="status">
          Loading…
        </p>
      ) : null}
      {listing && listing.nextBefore !== null ? (
        <p>
          <button type="button" onClick={() => load(listing.query, listing.nextBefore)} disabled={loading}>
            Older
          </button>
        </p>
      ) : null}
    </section>
  );
}

function DeliveryTable({ items, focusRow }: { items: DeliverySummary[]; focusRow: number | null }) {
  const body = useRef<HTMLTableSectionElement>(null);
  useEffect(() => {
    if (focusRow !== null) body.current?.querySelector<HTMLElement>(`a[href="#/deliveries/${focusRow}"]`)?.focus();
  }, [focusRow]);
  if (items.length === 0) return <p>No deliveries match.</p>;
  return (
    <div class="table-wrap" role="region" aria-labelledby="deliveries-caption" tabIndex={0}>
      <table>
        <caption id="deliveries-caption">{plural(items.length, 'delivery', 'deliveries')}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Received</th>
            <th scope="col">Vendor</th>
            <th scope="col">Event name</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Attempts
            </th>
            <th scope="col">Call ids</th>
            <th scope="col">Phones</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody ref={body}>
          {items.map((item) => (
            <tr key={item.id}>
              <th scope="row">
                <a href={`#/deliveries/${item.id}`} aria-label={`Event ${item.id}`}>
                  #{item.id}
                </a>
              </th>
              <td class="nowrap">
                <time dateTime={item.receivedAt}>{formatTime(item.receivedAt)}</time>
              </td>
              <td>{item.vendor}</td>
              <td class="mono">{item.eventName}</td>
              <td>
                <StatusBadge status={item.status} />
              </td>
              <td class="num">{item.attempts}</td>
              <td class="mono">{item.vendorCallIds.join(', ') || '—'}</td>
              <td class="nowrap">{item.phones.join(', ') || '—'}</td>
              <td class="clip" title={item.lastError ?? undefined}>
                {item.lastError ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
