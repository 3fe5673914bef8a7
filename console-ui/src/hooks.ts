import { useEffect, useRef, useState } from 'preact/hooks';
import { type ApiError, asApiError, isAbort } from './api';
import { announce } from './live';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and when `deps` change; a page left before its answer came drops the answer (abort). */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload'>>({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((before) => ({ ...before, loading: true, error: null }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setState((before) => ({ data: before.data, error: asApiError(error), loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, round]);
  return { ...state, reload: () => setRound((value) => value + 1) };
}

/** A page of a list read newest first: `nextBefore` is the cursor of the next (older) page, null on the last. */
export interface KeysetPage<T> {
  items: T[];
  nextBefore: number | null;
}

/** What is shown of a paged list: the pages read so far, joined, and the query they were read with. */
export interface PagedListing<T, Q> extends KeysetPage<T> {
  query: Q;
}

export interface PagedList<T, Q> {
  listing: PagedListing<T, Q> | null;
  /** What is being read: the first page (a new query, or the same again), or an older page. */
  loading: 'first' | 'older' | null;
  error: ApiError | null;
  /** After an older page was added: the id of its first item, for the page to move focus to. */
  focusId: number | null;
  /** `before` null: the first page of `query`, in place of what is shown; else the page older than it, added below. */
  load: (query: Q, before: number | null) => void;
}

/**
 * A list read a page at a time, newest first (keyset paging, as the API's deliveries and audit log are). A load
 * started while another is in flight replaces it; leaving the page drops an answer still to come (abort).
 */
export function usePagedList<T extends { id: number }, Q>(
  fetchPage: (query: Q, before: number | null, signal: AbortSignal) => Promise<KeysetPage<T>>,
  options: {
    /** What to show at first (a list left earlier), instead of nothing. */
    initial?: PagedListing<T, Q> | null;
    /** Called with each listing read. */
    onListing?: (listing: PagedListing<T, Q>) => void;
    /** The words read out once a page is in. */
    announce: (page: KeysetPage<T>, older: boolean) => string;
  },
): PagedList<T, Q> {
  const [listing, setListing] = useState<PagedListing<T, Q> | null>(options.initial ?? null);
  const [loading, setLoading] = useState<PagedList<T, Q>['loading']>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [focusId, setFocusId] = useState<number | null>(null);
  const pending = useRef<AbortController | null>(null);
  /** The listing as last set (an answer joins it, whatever render its load began in). */
  const shown = useRef(listing);
  useEffect(() => () => pending.current?.abort(), []);

  const load = (query: Q, before: number | null) => {
    pending.current?.abort();
    const controller = new AbortController();
    pending.current = controller;
    setLoading(before === null ? 'first' : 'older');
    setError(null);
    fetchPage(query, before, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        const next = {
          query,
          items: before === null ? page.items : [...(shown.current?.items ?? []), ...page.items],
          nextBefore: page.nextBefore,
        };
        shown.current = next;
        setListing(next);
        options.onListing?.(next);
        setFocusId(before !== null ? (page.items[0]?.id ?? null) : null);
        setLoading(null);
        announce(options.announce(page, before !== null));
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbort(failure)) return;
        setError(asApiError(failure));
        setLoading(null);
      },
    );
  };
  return { listing, loading, error, focusId, load };
}
