import type { RunStatus } from '@modelrun/contracts';
import { STATUS_WORDS } from './format';

/** A run's status; a queued run whose last try failed is waiting to retry, not freshly queued. */
export function StatusBadge(props: { status: RunStatus; phase?: string | undefined; retrying?: boolean }) {
  const text = props.status === 'running' && props.phase ? `${STATUS_WORDS.running} · ${props.phase}` : props.status === 'queued' && props.retrying ? 'Waiting to retry' : STATUS_WORDS[props.status];
  return <span class={`badge badge-${props.status}`}>{text}</span>;
}
