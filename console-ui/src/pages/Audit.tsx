import { api } from '../api';
import { ErrorNote, Loading, PageTitle } from '../components';
import { detailText, formatTime, plural } from '../format';
import { useLoad } from '../hooks';
import { own } from '../own';
import type { AuditItem, AuditPage } from '../types';

/** The most entries the page shows (the API's own cap). */
const SHOWN = 200;

const ACTORS: Record<string, string> = {
  admin: 'admin',
  viewer: 'viewer',
  'sandbox-link': 'admin (sandbox link)',
  'admin-api': 'admin API token',
  unknown: 'nobody signed in',
};

function AuditTable({ items }: { items: AuditItem[] }) {
  if (items.length === 0) return <p>Nothing recorded yet.</p>;
  return (
    <div class="table-wrap" role="region" aria-labelledby="audit-caption" tabIndex={0}>
      <table>
        <caption id="audit-caption">
          {plural(items.length, 'entry', 'entries')}, newest first
          {items.length === SHOWN ? ` (the latest ${SHOWN})` : ''}
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
        <tbody>
          {items.map((item, index) => (
            <tr key={`${item.at}-${index}`}>
              <td>
                <time dateTime={item.at}>{formatTime(item.at)}</time>
              </td>
              <td>{own(ACTORS, item.actor) ?? item.actor}</td>
              <td>
                <code>{item.session ?? '—'}</code>
              </td>
              <th scope="row">{item.action}</th>
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
  const loaded = useLoad((signal) => api<AuditPage>('GET', `/audit?limit=${SHOWN}`, undefined, { signal }), []);
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Audit log</PageTitle>
      <p class="muted">
        Sign-ins and refused sign-ins, sign-outs, replays, mapping saves and reloads (here and through the admin API),
        samples sent. A session is shown by the first characters of its stored hash; no token is ever recorded.
      </p>
      <p>
        <button type="button" onClick={loaded.reload} disabled={loaded.loading}>
          Refresh
        </button>
      </p>
      <ErrorNote error={loaded.error} title="Audit log not loaded" />
      {loaded.data ? (
        <AuditTable items={loaded.data.items} />
      ) : loaded.loading ? (
        <Loading what="the audit log" />
      ) : null}
    </section>
  );
}
