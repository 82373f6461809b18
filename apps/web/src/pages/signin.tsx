import { useEffect, useState } from 'preact/hooks';
import type { SessionProviders, SessionView } from '@modelrun/contracts';
import { api, signIn } from '../api';
import { afterSignIn } from '../ui/match';
import { ErrorNote } from '../ui/notes';

type Provider = SessionProviders['providers'][number];

/**
 * Sign in: through the deployment's single sign-on provider when it has one (the browser goes to
 * the API, which sends it on to the provider), or with an API token, which is traded for a
 * session cookie and never stored by the page.
 */
export function SignInPage(props: { onSignedIn: (s: SessionView) => void }) {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<Provider[]>([]);

  useEffect(() => {
    // Without the list (an older API, a hiccup) the token form still works.
    api<SessionProviders>('GET', '/v1/session/providers')
      .then((p) => setProviders(p.providers))
      .catch(() => setProviders([]));
  }, []);

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

  const next = afterSignIn(location.search, location.origin);
  return (
    <section class="narrow signin">
      <h1>Sign in</h1>
      {providers.map((p) => (
        <div key={p.id} class="card form">
          {/* A navigation, not a form: the API redirects on to the provider, which the CSP's form-action 'self' would stop. */}
          <button type="button" class="primary" onClick={() => location.assign(next ? `${p.signInUrl}?next=${encodeURIComponent(next)}` : p.signInUrl)}>
            Sign in with {p.name}
          </button>
          <p class="muted">Your account at {p.name}; your groups there decide your role here.</p>
        </div>
      ))}
      <form class="card form" onSubmit={submit}>
        <label>
          API token
          <input name="token" type="password" required autocomplete="current-password" autoFocus={providers.length === 0} />
        </label>
        <p class="muted">
          {providers.length > 0 ? 'Or a personal access token, or one of the deployment\u2019s ' : 'A personal access token, or one of the deployment\u2019s '}
          <code>API_TOKENS</code>. The browser keeps a session cookie, not the token.
        </p>
        <ErrorNote error={error} />
        <button type="submit" class={providers.length ? undefined : 'primary'} disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
