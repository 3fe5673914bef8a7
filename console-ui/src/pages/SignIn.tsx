import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, asApiError } from '../api';
import { ErrorNote, PageTitle } from '../components';
import { announce } from '../live';
import type { Session } from '../types';

function signInMessage(error: ApiError): string {
  if (error.status === 429 && error.retryAfterSeconds !== null)
    return `${error.message} (try again in ${Math.ceil(error.retryAfterSeconds)} s)`;
  return error.message;
}

export function SignIn({ code, onSignedIn }: { code: string | null; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const linkTried = useRef(false);
  const tokenInput = useRef<HTMLInputElement>(null);

  // The sandbox's start-up link carries a one-time code: used once, then taken out of the address bar and history.
  useEffect(() => {
    if (code === null || linkTried.current) return;
    linkTried.current = true;
    history.replaceState(null, '', `${location.pathname}${location.search}#/sign-in`);
    setBusy(true);
    api<Session>('POST', '/session/link', { code }, { expect401: true }).then(
      (session) => {
        announce('Signed in with the sandbox link');
        onSignedIn(session);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(
          `The sign-in link did not work (${signInMessage(asApiError(failure))}). Sign in with a token instead.`,
        );
        tokenInput.current?.focus();
      },
    );
  }, [code, onSignedIn]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (token.trim() === '') {
      setError('Enter your access token.');
      tokenInput.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    api<Session>('POST', '/session', { token: token.trim() }, { expect401: true }).then(
      (session) => {
        setToken('');
        onSignedIn(session);
      },
      (failure: unknown) => {
        setBusy(false);
        const apiError = asApiError(failure);
        setError(apiError.status === 401 ? 'That token was not accepted.' : signInMessage(apiError));
        tokenInput.current?.focus();
      },
    );
  };

  return (
    <section class="sign-in" aria-labelledby="page-title">
      <PageTitle>Sign in</PageTitle>
      <p>Sign in with the connector's admin token, or its viewer token for read-only access.</p>
      <form onSubmit={submit} class="stack" noValidate>
        <div class="field">
          <label for="token">Access token</label>
          <input
            id="token"
            ref={tokenInput}
            type="password"
            autoComplete="current-password"
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            aria-invalid={error !== null}
            aria-describedby={error !== null ? 'sign-in-error' : undefined}
            required
          />
        </div>
        <div id="sign-in-error">
          <ErrorNote error={error} />
        </div>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </section>
  );
}
