// The deliveries list's filters as the query of `GET /console/api/deliveries`.

export interface Filters {
  vendor: string;
  status: string;
  /** `YYYY-MM-DD` from the date inputs, local days. */
  from: string;
  to: string;
  q: string;
}

export const NO_FILTERS: Filters = { vendor: '', status: '', from: '', to: '', q: '' };

/** Local midnight of a `YYYY-MM-DD` day, plus `days`, as an ISO instant (null for an empty or bad day). */
export function dayStart(day: string, days = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The query of `GET /deliveries`: `from` inclusive, `to` the start of the day after the chosen last day. */
export function deliveriesQuery(filters: Filters, before: number | null, limit: number): string {
  const query = new URLSearchParams();
  if (filters.vendor.trim()) query.set('vendor', filters.vendor.trim());
  if (filters.status) query.set('status', filters.status);
  const from = dayStart(filters.from);
  if (from) query.set('from', from);
  const to = dayStart(filters.to, 1);
  if (to) query.set('to', to);
  if (filters.q.trim()) query.set('q', filters.q.trim());
  if (before !== null) query.set('before', String(before));
  query.set('limit', String(limit));
  return query.toString();
}
