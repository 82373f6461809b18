import type { ExitInfo } from './classify';
import { stoppedByEngine } from './engine-restart';

/**
 * Everything the runner saw of a container's stop, gathered by DockerRunner.wait from its wait,
 * the engine's state of the container and the engine's event stream. judgeStop reads nothing
 * else, so how a container stopped is decided here alone, and tested as a table.
 */
export interface StopFacts {
  /** This runner stopped the container at its deadline. */
  stoppedAtDeadline: boolean;
  /** This runner stopped the container because the run was cancelled. */
  stoppedOnCancel: boolean;
  /** When the run's time limit ran out (epoch ms, from the container's start). */
  deadlineMs: number;
  /** The container as the engine describes it once stopped; undefined when it is gone. */
  state?: {
    exitCode: number | null;
    oomKilled: boolean;
    startedAt?: string;
    finishedAt?: string;
    user: string;
  };
  /** The container had already exited when this delivery adopted it: nobody watched it stop. */
  foundExited: boolean;
  /** Signals of the `kill` events the engine reported for the container, in order. */
  kills: readonly string[];
  /** This process asked for the container's stop (its deadline, a cancel): its kills are its own. */
  ownStop: boolean;
  /** The engine's event stream was connected through the stop, so an absent kill means none was sent. */
  streamConnected: boolean;
  /**
   * The engine refused a new connection when asked after the stop: it is shutting down, and its
   * kill may never reach the stream it still holds open (engine-probe.ts). Asked only for a
   * failure nobody here explains.
   */
  engineClosing?: boolean;
  /** When earlier deliveries lost the engine while the container ran (see engine-restart.ts). */
  engineLostAt: readonly string[];
  /** The engine keeps containers running through its own restart (live-restore): it stopped none. */
  liveRestore: boolean;
}

/**
 * How a container stopped:
 * - `stopped`: known; `exit.engineStopped` when the engine, not the model or this runner, ended it.
 * - `unseen`: it stopped with a failure while the event stream was down, or while the engine was
 *   shutting down, so who stopped it cannot be told. An engine shutting down drops the stream
 *   while it stops containers, or keeps it open without the kill reaching it (the fault soak
 *   recorded each once as the model's 143): the watch counts as having lost the engine.
 * - `vanished`: the container is gone.
 */
export type StopVerdict = { kind: 'stopped'; exit: ExitInfo } | { kind: 'unseen'; exitCode: number | null } | { kind: 'vanished' };

/** An adopted container stopped later than this past its deadline was stopped for it, while no worker watched. */
const LATE_MS = 1_000;

export function judgeStop(f: StopFacts): StopVerdict {
  if (!f.state) return { kind: 'vanished' };
  const { exitCode, oomKilled, finishedAt, user } = f.state;
  // Docker stamps StartedAt when its own bookkeeping is done but FinishedAt with the real exit
  // time, so a model that exits within milliseconds can "finish" before it "started".
  const startedAt = f.state.startedAt && finishedAt && finishedAt < f.state.startedAt ? finishedAt : f.state.startedAt;
  const cancelled = f.stoppedOnCancel;
  const timedOut = f.stoppedAtDeadline || (!cancelled && finishedAt !== undefined && Date.parse(finishedAt) > f.deadlineMs + LATE_MS);
  const exit: ExitInfo = { exitCode, oomKilled, timedOut, cancelled, startedAt, finishedAt, user };
  // A limit or a cancel explains the stop, and an OOM kill is the model's whatever else happened.
  if (timedOut || cancelled || oomKilled) return { kind: 'stopped', exit };
  // A kill nobody in this process sent: the engine shutting down (or someone on the host).
  const foreignKill = !f.ownStop && f.kills.length > 0;
  // Found exited after a worker lost the engine while it ran, on an engine that stops containers when it goes.
  const endedWithEngine = f.foundExited && !f.liveRestore && stoppedByEngine({ startedAt, finishedAt }, f.engineLostAt);
  if (foreignKill || endedWithEngine) return { kind: 'stopped', exit: { ...exit, engineStopped: true } };
  if (exitCode !== 0 && !f.foundExited && (!f.streamConnected || f.engineClosing === true)) return { kind: 'unseen', exitCode };
  return { kind: 'stopped', exit };
}
