import { type AppliedLimits, type RunView, isFinal } from '@modelrun/contracts';
import { Conflict } from './errors';
import type { RunsService } from './runs-service';

/** What makes a submission a re-run: the run it repeats, who asked, and the limits it ran under. */
export interface Rerun {
  of: string;
  requestedBy: string;
  limits: AppliedLimits;
}

/**
 * Re-runs a finished run for an operator or admin (issue 18, issue 19): a new run with the same
 * name, benchmark and limits, running the image digest the original was pinned to (its tag when
 * it has none: an image built on the host), owned by the original's submitter so they see it,
 * and counted against no quota. The caller has been judged allowed to re-run it.
 */
export async function rerunRun(runs: RunsService, original: RunView, requestedBy: string, principal: string): Promise<RunView> {
  if (!isFinal(original.status)) {
    throw new Conflict(`run ${original.id} is still ${original.status}: re-run it once it has ended (or cancel it first)`);
  }
  const { run } = await runs.submit(
    { image: original.imageDigest ?? original.image, name: original.name, ...(original.benchmark && { benchmark: original.benchmark }) },
    principal,
    undefined,
    original.submittedBy,
    { of: original.id, requestedBy, limits: original.limits },
  );
  return run;
}
