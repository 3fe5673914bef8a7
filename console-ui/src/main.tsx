import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, asApiError, onUnauthorized, setCsrfToken } from './api';
import { ErrorNote, Loading } from './components';
import { onAnnounce } from './live';
import { navigate, type Page, type Route, useRoute } from './router';
import { Audit } from './pages/Audit';
import { DeadLetters } from './pages/DeadLetters';
import { Deliveries } from './pages/Deliveries';
import { Delivery } from './pages/Delivery';
import { Mapping } from './pages/Mapping';
import { Overview } from './pages/Overview';
import { SignIn } from './pages/SignIn';
import { Timeline } from './pages/Timeline';
import type { Session } from './types';

const NAV: Array<{ page: Page; label: string }> = [
  { page: 'overview', label: 'Overview' },
  { page: 'deliveries', label: 'Deliveries' },
  { page: 'dead-letters', label: 'Dead letters' },
  { page: 'mapping', label: 'Mapping' },
  { page: 'timeline', label: 'What sales see' },
  { page: 'audit', label: 'Audit log' },
];

const TITLES: Record<Page, string> = {
  overview: 'Overview',
  deliveries: 'Deliveries',
  'dead-letters': 'Dead letters',
  mapping: 'Mapping',
  timeline: 'What sales see',
  audit: 'Audit log',
  'sign-in': 'Sign in',
  'not-found': 'Page not found',
};

function LiveRegion() {
  const [message, setMessage] = useState('');
  useEffect(() => {
    let timer: number | undefined;
    onAnnounce((text) => {
      // Emptied first, so the same words said twice are read twice.
      setMessage('');
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setMessage(text), 50);
    });
    return () => {
      onAnnounce(null);
      window.clearTimeout(timer);
    };
  }, []);
  return (
    <div class="visually-hidden" aria-live="polite" aria-atomic="true">
      {message}
    </div>
  );
}

function SkipLink() {
  // Not a plain `href="#main"`: the hash is the app's route.
  const skip = (event: MouseEvent) => {
    event.preventDefault();
    document.getElementById('main')?.focus();
  };
  return (
    <a class="skip-link" href="#main" onClick={skip}>
      Skip to content
    </a>
  );
}

function Header({ session, page, onSignOut }: { session: Session | null; page: Page; onSignOut: () => void }) {
  return (
    <header class="top">
      <div class="top-row">
        <span class="brand">Connector console</span>
        {session ? (
          <span class="who">
            {session.kind === 'viewer' ? 'viewer (read-only)' : 'admin'}
            {session.sandbox ? ' · sandbox' : ''}
          </span>
        ) : null}
        {session ? (
          <button type="button" class="link-button sign-out" onClick={onSignOut}>
            Sign out
          </button>
        ) : null}
      </div>
      {session ? (
        <nav aria-label="Console">
          <ul>
            {NAV.map((item) => (
              <li key={item.page}>
                <a href={`#/${item.page}`} aria-current={item.page === page ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
    </header>
  );
}

function PageFor({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'overview':
      return <Overview session={session} />;
    case 'deliveries':
      return route.id === null ? (
        <Deliveries status={route.query.get('status')} />
      ) : (
        <Delivery key={route.id} id={route.id} session={session} />
      );
    case 'dead-letters':
      return <DeadLetters session={session} />;
    case 'mapping':
      return <Mapping session={session} event={route.query.get('event')} />;
    case 'timeline':
      return <Timeline />;
    case 'audit':
      return <Audit />;
    default:
      return (
        <section aria-labelledby="page-title">
          <h1 id="page-title">{TITLES[route.page]}</h1>
          <p>
            Nothing here. <a href="#/overview">Go to the overview</a>.
          </p>
        </section>
      );
  }
}

function App() {
  const route = useRoute();
  /** undefined: not known yet; null: signed out. */
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [startError, setStartError] = useState<ApiError | null>(null);
  const main = useRef<HTMLElement>(null);
  const firstRoute = useRef(true);

  const signedIn = useCallback((next: Session) => {
    setCsrfToken(next.csrfToken);
    setSession(next);
    if (location.hash.startsWith('#/sign-in') || location.hash === '' || location.hash === '#/') navigate('#/overview');
  }, []);

  useEffect(() => {
    onUnauthorized(() => {
      setCsrfToken(null);
      setSession(null);
    });
    api<Session>('GET', '/session', undefined, { expect401: true }).then(
      (found) => {
        setCsrfToken(found.csrfToken);
        setSession(found);
      },
      (error: unknown) => {
        const apiError = asApiError(error);
        if (apiError.status === 401) setSession(null);
        else setStartError(apiError);
      },
    );
  }, []);

  const showSignIn = session === null || (session !== undefined && route.page === 'sign-in');
  const page: Page = showSignIn ? 'sign-in' : route.page;

  useEffect(() => {
    document.title = `${TITLES[page]} · Connector console`;
    // A new page is announced by moving focus to its main region (not on the first load: focus stays at the top).
    if (firstRoute.current) firstRoute.current = false;
    else main.current?.focus();
  }, [page, route.id]);

  useEffect(() => {
    if (session && route.page === 'sign-in' && route.query.get('code') === null) navigate('#/overview');
  }, [session, route]);

  const signOut = () => {
    // Whatever the answer, the page is then loaded afresh: nothing of this session (lists, an unsaved mapping edit,
    // the CSRF token) stays in memory for the next person at this browser. An unsaved edit makes the browser ask.
    const done = () => {
      navigate('#/sign-in');
      window.location.reload();
    };
    api('POST', '/session/sign-out').then(done, done);
  };

  let content;
  if (startError) content = <ErrorNote error={startError} title="The console could not start" />;
  else if (session === undefined) content = <Loading what="the session" />;
  else if (showSignIn) content = <SignIn code={route.query.get('code')} onSignedIn={signedIn} />;
  else content = <PageFor route={route} session={session} />;

  return (
    <>
      <SkipLink />
      <Header session={session ?? null} page={page} onSignOut={signOut} />
      <main id="main" ref={main} tabIndex={-1}>
        {content}
      </main>
      <LiveRegion />
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
