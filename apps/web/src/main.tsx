import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { SessionView } from '@modelrun/contracts';
import { loadSession, onSignedOut, signOut } from './api';
import { BenchmarkBoardPage, BenchmarksPage } from './pages/benchmarks';
import { Leaderboard } from './pages/leaderboard';
import { ModelPage } from './pages/model';
import { RunPage } from './pages/run';
import { SignInPage } from './pages/signin';
import { SubmitPage } from './pages/submit';
import { AuditLogPage, TokensPage, UsersPage } from './pages/people';
import { FleetPage } from './pages/fleet';
import { ErrorNote } from './ui/notes';
import { RUN_ID, afterSignIn, match } from './ui/match';
import { Link, type Location, navigate, useLocation } from './ui/router';
import './style.css';

function Page(props: { loc: Location; session: SessionView | undefined }) {
  const { path } = props.loc;
  const model = match('/models/:name', path);
  if (model) return <ModelPage name={model.name!} />;
  const run = match('/runs/:id', path);
  if (run) return RUN_ID.test(run.id!) ? <RunPage id={run.id!} /> : <ErrorNote error={new Error(`${JSON.stringify(run.id!.slice(0, 80))} is not a run id`)} />;
  // Without tokens (a local API) everyone is an admin; otherwise the session's role.
  if (path === '/submit') return <SubmitPage mayPrioritize={props.session?.authRequired === false || props.session?.role === 'admin' || props.session?.role === 'operator'} />;
  if (path === '/tokens') return <TokensPage />;
  if (path === '/admin/users') return <UsersPage />;
  if (path === '/admin/audit') return <AuditLogPage />;
  if (path === '/admin/fleet') return <FleetPage />;
  if (path === '/benchmarks') return <BenchmarksPage />;
  const benchmark = match('/benchmarks/:name', path);
  if (benchmark) return <BenchmarkBoardPage name={benchmark.name!} loc={props.loc} session={props.session} />;
  return <Leaderboard loc={props.loc} />;
}

function Header(props: { session: SessionView | undefined; path: string; onSignOut: () => void }) {
  const nav = [
    { href: '/', label: 'Leaderboard', current: props.path === '/' || props.path.startsWith('/models/') },
    { href: '/benchmarks', label: 'Benchmarks', current: props.path.startsWith('/benchmarks') },
    { href: '/submit', label: 'Submit', current: props.path === '/submit' },
  ];
  const signedIn = props.session?.signedIn || props.session?.authRequired === false;
  return (
    <header class="top">
      <Link href="/" class="brand">
        <span class="logo" aria-hidden="true">
          ▲
        </span>{' '}
        modelrun
      </Link>
      {signedIn && (
        <nav aria-label="Main">
          {nav.map((n) => (
            <Link key={n.href} href={n.href} aria-current={n.current ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
          <Link href="/tokens" aria-current={props.path === '/tokens' ? 'page' : undefined}>
            Tokens
          </Link>
          {(props.session?.role === 'admin' || props.session?.authRequired === false) && (
            <>
              <Link href="/admin/users" aria-current={props.path === '/admin/users' ? 'page' : undefined}>
                Users
              </Link>
              <Link href="/admin/audit" aria-current={props.path === '/admin/audit' ? 'page' : undefined}>
                Audit
              </Link>
            </>
          )}
          {props.session?.role !== 'member' && props.session?.role !== 'viewer' && (
            <Link href="/admin/fleet" aria-current={props.path === '/admin/fleet' ? 'page' : undefined}>
              Fleet
            </Link>
          )}
          {props.session?.role !== 'member' && props.session?.role !== 'viewer' && <a href="/admin/queues">Queues</a>}
          <a href="/docs">API</a>
          {props.session?.signedIn && (
            <button type="button" class="link" onClick={props.onSignOut}>
              Sign out
            </button>
          )}
        </nav>
      )}
    </header>
  );
}

function App() {
  const loc = useLocation();
  const [session, setSession] = useState<SessionView>();
  const [error, setError] = useState<Error>();

  useEffect(() => {
    loadSession().then(setSession, setError);
    return onSignedOut(() => setSession((s) => (s ? { authRequired: s.authRequired, signedIn: false } : s)));
  }, []);

  const out = async () => {
    setSession(await signOut());
    navigate('/signin');
  };
  const mustSignIn = session?.authRequired === true && !session.signedIn;
  useEffect(() => {
    // The sign-in page has its own address, so the browser's history reads plainly.
    if (mustSignIn && loc.path !== '/signin') navigate('/signin', true);
    if (session && !mustSignIn && loc.path === '/signin') {
      const next = afterSignIn(location.search, location.origin);
      if (next) location.assign(next);
      else navigate('/', true);
    }
  }, [mustSignIn, session, loc.path]);

  return (
    <>
      <Header session={session} path={loc.path} onSignOut={() => void out().catch(setError)} />
      <main>
        <ErrorNote error={error} />
        {session && (mustSignIn ? <SignInPage onSignedIn={setSession} /> : <Page loc={loc} session={session} />)}
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder of the HTML shell
render(<App />, root);
