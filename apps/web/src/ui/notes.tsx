import { useEffect, useState } from 'preact/hooks';

/** An API error, in the API's own words. */
export function ErrorNote(props: { error: Error | undefined }) {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {props.error.message}
    </p>
  );
}

/** Says the data is live, and how fresh it is. */
export function LiveNote(props: { at: Date | undefined; live?: boolean }) {
  const [, setNow] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => setNow((n) => n + 1), 1000);
    return () => window.clearInterval(t);
  }, []);
  if (!props.at) return <span class="live muted">Loading…</span>;
  return (
    <span class="live muted" title={`Updated ${props.at.toLocaleTimeString()}`}>
      {props.live !== false && <span class="pulse" aria-hidden="true" />}
      {props.live === false ? 'Final' : 'Live'} · updated {props.at.toLocaleTimeString()}
    </span>
  );
}
