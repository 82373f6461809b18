import { type BenchmarkQuotas, type BenchmarkView, timeLeftText } from '@modelrun/contracts';
import { formatTable } from './table';

/** The time left as the web app says it too (`3d 4h`). */
export const timeLeft = timeLeftText;

export function quotasText(q: BenchmarkQuotas): string {
  return [q.perDay && `${q.perDay} a day`, q.concurrent && `${q.concurrent} at once`].filter(Boolean).join(', ') || 'none';
}

/**
 * A benchmark's phases for `modelrun benchmarks`: where it stands now (the open phase and the
 * time left, or when the next opens, or closed), then each phase with its window and quotas.
 * Empty for a benchmark without phases.
 */
export function formatPhases(b: Pick<BenchmarkView, 'phases' | 'openPhase' | 'nextPhase'>): string {
  if (!b.phases) return '';
  const now = b.openPhase
    ? `open: ${b.openPhase.name}, ${timeLeft(b.openPhase.secondsLeft)} left (until ${b.openPhase.endsAt})`
    : b.nextPhase
      ? `closed: ${b.nextPhase.name} opens at ${b.nextPhase.startsAt} (in ${timeLeft(b.nextPhase.secondsUntil)})`
      : 'closed: its last phase has ended';
  const rows = b.phases.map((p) => [`  ${p.name}`, p.start, p.end, quotasText(p.quotas), p.name === b.openPhase?.name ? `open, ${timeLeft(b.openPhase.secondsLeft)} left` : '']);
  // Each phase's board rule (issue 19), when some phase ranks by another rule than each model's best run.
  if (!b.phases.some((p) => p.board && p.board.rule !== 'best')) return `  phase: ${now}\n${formatTable(['  PHASE', 'START', 'END', 'QUOTAS', ''], rows)}`;
  b.phases.forEach((p, i) => rows[i]!.splice(4, 0, p.board ? `${p.board.rule}${p.board.selectLimit !== undefined ? ` (up to ${p.board.selectLimit})` : ''}` : '-'));
  return `  phase: ${now}\n${formatTable(['  PHASE', 'START', 'END', 'QUOTAS', 'BOARD', ''], rows)}`;
}
