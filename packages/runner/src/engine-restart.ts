/**
 * Telling a container the engine stopped from one whose model exited by itself.
 *
 * An engine that shuts down (restart, upgrade, crash) without live-restore stops every
 * container, usually with SIGTERM: exit code 143, like a model that exits 143 on its own. The
 * engine keeps no record of who stopped a container, and its event buffer does not survive the
 * restart, so the worker uses what it saw itself: its wait for the container broke with a
 * connection error (the engine went away) at `lostAt`, kept in Redis with the run. A retry that
 * then finds the container already exited, having started before `lostAt` and finished around
 * or after it, knows the engine ended it. A container that kept running through the restart
 * (live-restore) is found running and is simply waited for again: its end is its own.
 */

/** How far before the broken wait a container may have finished and still count (clock skew, a kill before the socket closed). */
const BEFORE_LOSS_MS = 5_000;

export interface ContainerLife {
  startedAt?: string;
  finishedAt?: string;
}

/** True when the container ran at one of the moments its worker lost the engine and ended with it. */
export function stoppedByEngine(life: ContainerLife, engineLostAt: readonly string[]): boolean {
  if (!life.startedAt || !life.finishedAt || engineLostAt.length === 0) return false;
  const started = Date.parse(life.startedAt);
  const finished = Date.parse(life.finishedAt);
  return engineLostAt.some((at) => {
    const lost = Date.parse(at);
    return started <= lost && finished >= lost - BEFORE_LOSS_MS;
  });
}
