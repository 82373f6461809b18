import type { AppliedLimits } from '@modelrun/contracts';
import type { ExitInfo, SandboxPolicy } from '@modelrun/runner';
import type { ScoreCheck, Validation } from './validate';

/** Lines of the model's output shown at the end. */
export const LOG_LINES = 20;

/** 0: the contract holds; 1: it does not; 130: interrupted (as a shell reports Ctrl-C). */
export function exitStatus(v: Validation): number {
  if (v.outcome.status === 'succeeded') return 0;
  return v.outcome.status === 'cancelled' ? 130 : 1;
}

/** The plain-words report: what ran, how it ended, what it wrote, and the verdict last. */
export function formatReport(v: Validation, policy: SandboxPolicy): string {
  const out: string[] = [];
  const row = (label: string, value: string): number => out.push(`${`${label}:`.padEnd(13)}${value}`);
  out.push(`modelrun validate: ${v.image}`);
  out.push(`  sandbox: no network, read-only root filesystem, writable /tmp (${policy.tmpMb} MiB), empty /output volume,`);
  out.push(`           all capabilities dropped, no new privileges, at most ${policy.pidsLimit} processes`);
  out.push(`  limits:  ${describeLimits(v.limits)}`);
  out.push(`  container: ${v.container} (removed)`);
  out.push('');
  if (v.exit) {
    row('Ran as', describeUser(v.exit.user));
    row('Exit code', describeExit(v.exit));
    if (v.durationMs !== undefined) row('Time taken', `${(v.durationMs / 1000).toFixed(1)} s (limit ${v.limits.timeoutSeconds} s)`);
  } else {
    row('Exit code', 'none: the container never started');
  }
  row('Score file', describeScore(v.score, v.exit));
  if (v.score.state === 'valid') {
    row('Score', String(v.score.score));
    const metrics = Object.entries(v.score.metrics ?? {});
    row('Metrics', metrics.length ? `${metrics.length}` : 'none (optional: add "metrics" to score.json)');
    const width = Math.max(0, ...metrics.map(([k]) => k.length)) + 2;
    for (const [k, value] of metrics) out.push(`  ${k.padEnd(width)}${value}`);
  }
  if (v.logs) {
    const lines = v.logs.text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const shown = lines.slice(-LOG_LINES);
    const earlier = lines.length - shown.length;
    const note = earlier > 0 || v.logs.dropped > 0 ? `last ${shown.length} of ${earlier > 0 ? lines.length : 'more'} lines` : `${shown.length} line${shown.length === 1 ? '' : 's'}`;
    row('Logs', shown.length ? `${note}:` : 'the model printed nothing (logging progress to stdout helps whoever reads the run)');
    for (const line of shown) out.push(`  | ${line}`);
  }
  out.push('');
  out.push(verdict(v));
  return `${out.join('\n')}\n`;
}

function verdict(v: Validation): string {
  const o = v.outcome;
  if (o.status === 'succeeded') return `PASS: the image keeps the model contract; modelrun would record score ${o.score}.`;
  if (o.status === 'cancelled') return 'NOT CHECKED: interrupted; the container was stopped and removed.';
  return `FAIL (${o.reason}): ${o.error}. modelrun would record this run as failed with reason ${o.reason}.`;
}

function describeLimits(l: AppliedLimits): string {
  const gpus = l.gpus > 0 ? `, ${l.gpus} GPU${l.gpus === 1 ? '' : 's'}` : ', no GPU';
  return `${l.timeoutSeconds} s, ${l.memoryMb} MiB memory (no swap), ${l.cpus} CPU${l.cpus === 1 ? '' : 's'}${gpus}`;
}

function describeUser(user: string): string {
  if (user === '' || user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:')) {
    return `root${user ? '' : ' (the image sets no USER)'}; allowed, though a non-root USER is safer`;
  }
  return `user ${user}`;
}

function describeExit(exit: ExitInfo): string {
  const code = exit.exitCode === null ? 'unknown' : String(exit.exitCode);
  if (exit.timedOut) return `${code} (stopped at the time limit)`;
  if (exit.oomKilled) return `${code} (killed for running out of memory)`;
  if (exit.cancelled) return `${code} (stopped: interrupted)`;
  return code;
}

function describeScore(s: ScoreCheck, exit: ExitInfo | undefined): string {
  const ignored = exit && exit.exitCode !== 0 ? ' (but the model did not exit 0, so it does not count)' : '';
  switch (s.state) {
    case 'valid':
      return `${s.file} found and valid${ignored}`;
    case 'invalid':
      return `found but not valid: ${s.problem}`;
    case 'missing':
      return 'none found: expected /output/score.json (or a plain /output/score)';
    case 'not_read':
      return `not read: ${s.why}`;
  }
}
