// Hash routes (`#/deliveries/123`, `#/mapping?event=123`): the server serves one index.html for every page.
import { useEffect, useState } from 'preact/hooks';

export const PAGES = ['overview', 'deliveries', 'dead-letters', 'mapping', 'timeline', 'audit', 'sign-in'] as const;
export type Page = (typeof PAGES)[number] | 'not-found';

export interface Route {
  page: Page;
  /** The second path segment (`#/deliveries/123` → `123`). */
  id: string | null;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const mark = raw.indexOf('?');
  const path = mark >= 0 ? raw.slice(0, mark) : raw;
  const query = new URLSearchParams(mark >= 0 ? raw.slice(mark + 1) : '');
  const [first = '', second = null, ...rest] = path.split('/').filter((part) => part !== '');
  if (first === '') return { page: 'overview', id: null, query };
  const page = (PAGES as readonly string[]).includes(first) ? (first as Page) : 'not-found';
  if (rest.length > 0 || (second !== null && page !== 'deliveries')) return { page: 'not-found', id: null, query };
  return { page, id: second === null ? null : decodeURIComponent(second), query };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  if (location.hash !== hash) location.hash = hash;
}
