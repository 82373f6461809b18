import { type AppliedLimits, type FailureReason, parseScoreFile } from '@modelrun/contracts';
import type { OutputContents } from './archive';
import { OUTPUT_DIR } from './sandbox';

/** How a container ended, read from its state after it stopped. */
export interface ExitInfo {
  exitCode: number | null;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** The user the container ran as (`""` is the image default, root unless it says otherwise). */
  user: string;
  /** The engine stopped the container (it restarted or shut down), not the model or the worker. */
  engineStopped?: boolean;
  /** The engine's event stream was cut while the container ran: the engine may have restarted under it. */
  engineLostWhileRunning?: boolean;
}

export type Outcome =
  { status: 'succeeded'; score: number; metrics?: Record<string, number>; exitCode: number } | { status: 'failed' | 'cancelled'; reason: FailureReason; error: string; exitCode: number | null };

/**
 * Decides what a finished container means. Order matters: a cancel or a timeout explains the
 * exit code that follows from it, an OOM kill fails the run even when the main process
 * survived it and exited 0, and an output past its cap explains an exit code too.
 */
export function classify(exit: ExitInfo, output: OutputContents | undefined, limits: AppliedLimits): Outcome {
  const exitCode = exit.exitCode;
  const bad = (error: string): Outcome => ({ status: 'failed', reason: 'bad_output', error, exitCode });
  // A write past the output's cap failed ("no space left on device"): that, not the exit code
  // the model may have left with because of it, is what it did wrong.
  const overCap = output?.overCap && !exit.cancelled && !exit.timedOut && !exit.oomKilled ? bad(output.problem ?? 'the output folder passed its limit') : undefined;
  return overCap ?? classifyExit(exit, limits) ?? classifyOutput(exit, output, bad);
}

/** How a container that did not end cleanly ended (cancel, timeout, OOM, non-zero exit); undefined when it exited 0 on its own. */
export function classifyExit(exit: ExitInfo, limits: AppliedLimits): Outcome | undefined {
  const exitCode = exit.exitCode;
  if (exit.cancelled) return { status: 'cancelled', reason: 'cancelled', error: 'the run was cancelled', exitCode };
  if (exit.timedOut) {
    return {
      status: 'failed',
      reason: 'timeout',
      error: `the model ran past its time limit of ${limits.timeoutSeconds} s and was stopped`,
      exitCode,
    };
  }
  if (exit.oomKilled) {
    const how = exitCode === 0 ? ' (a process was killed, though the container exited 0)' : '';
    return {
      status: 'failed',
      reason: 'oom',
      error: `the model ran out of memory: it hit its limit of ${limits.memoryMb} MiB${how}`,
      exitCode,
    };
  }
  if (exitCode !== 0) {
    return { status: 'failed', reason: 'exit_code', error: `the model exited with code ${exitCode}${exitHint(exitCode)}`, exitCode };
  }
  return undefined;
}

/** The rest of classify: what the output folder says about a container that exited 0 on its own. */
function classifyOutput(exit: ExitInfo, output: OutputContents | undefined, bad: (error: string) => Outcome): Outcome {
  if (!output) return bad('the output folder could not be read');
  if (output.problem) return bad(output.problem);
  if (!output.score) {
    return bad(`the model exited 0 but wrote no score: expected ${OUTPUT_DIR}/score.json (or ${OUTPUT_DIR}/score)${permissionHint(exit.user, output)}`);
  }
  const parsed = parseScoreFile(output.score.file, output.score.bytes);
  if (!parsed.ok) return bad(parsed.message);
  return {
    status: 'succeeded',
    score: parsed.value.score,
    ...(parsed.value.metrics && { metrics: parsed.value.metrics }),
    exitCode: 0,
  };
}

function exitHint(code: number | null): string {
  if (code === 126) return ' (the entrypoint could not be executed)';
  if (code === 127) return ' (the entrypoint or a command it ran was not found)';
  if (code !== null && code > 128 && code < 160) return ` (killed by signal ${code - 128})`;
  return '';
}

function permissionHint(user: string, output: OutputContents): string {
  const dir = output.dir;
  const runsAsRoot = user === '' || user === 'root' || user === '0' || user.startsWith('0:') || user.startsWith('root:');
  const uid = /^\d+/.exec(user)?.[0];
  const owns = uid !== undefined && Number(uid) === dir?.uid && (dir.mode & 0o200) !== 0;
  if (!dir || runsAsRoot || owns || (dir.mode & 0o002) !== 0) return '';
  return `; ${OUTPUT_DIR} belongs to uid ${dir.uid} with mode ${(dir.mode & 0o7777).toString(8)} and the image runs as user "${user}", so it may not have been able to write there: create ${OUTPUT_DIR} owned by that user in the Dockerfile`;
}
