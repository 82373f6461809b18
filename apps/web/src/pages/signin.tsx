import { useState } from 'preact/hooks';
import type { SessionView } from '@modelrun/contracts';
import { signIn } from '../api';
import { afterSignIn } from '../ui/match';
import { ErrorNote } from '../ui/notes';

/** Sign in with an API token: it is traded for a session cookie and never stored by the page. */
export function SignInPage(props: { onSignedIn: (s: SessionView) => void }) {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const token = String(new FormData(e.currentTarget as HTMLFormElement).get('token') ?? '');
    setBusy(true);
    setError(undefined);
    try {
      const session = await signIn(token);
      const next = afterSignIn(location.search, location.origin);
      // The dashboard is another app on this origin: a full page load.
      if (next) location.assign(next);
      else props.onSignedIn(session);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };

  return (
    <section class="narrow signin">
      <h1>Sign in</h1>
      <form class="card form" onSubmit={submit}>
        <label>
          API token
          <input name="token" type="password" required autocomplete="current-password" autoFocus />
        </label>
        <p class="muted">
          One of the deployment's <code>API_TOKENS</code>. The browser keeps a session cookie, not the token.
        </p>
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
