import type { RunStatus } from '@modelrun/contracts';
import { STATUS_WORDS } from './format';

export function StatusBadge(props: { status: RunStatus; phase?: string | undefined }) {
  const text = props.status === 'running' && props.phase ? `${STATUS_WORDS.running} · ${props.phase}` : STATUS_WORDS[props.status];
  return <span class={`badge badge-${props.status}`}>{text}</span>;
}
