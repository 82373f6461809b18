import type { FailureReason } from '@modelrun/contracts';

/** A fault of the platform, not the model (daemon unreachable, API error): worth retrying. */
export class InfrastructureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InfrastructureError';
  }
}

/** A fault retrying cannot fix: the model's, its image's, or the deployment's registry credentials. */
export class ModelFault extends Error {
  constructor(
    readonly reason: Exclude<FailureReason, 'infrastructure' | 'cancelled'>,
    message: string,
  ) {
    super(message);
    this.name = 'ModelFault';
  }
}

/** The worker is shutting down: the run was left running, for the next worker to adopt. */
export class HandedBackError extends Error {
  constructor() {
    super('handed back to the queue by a worker shutting down');
    this.name = 'HandedBackError';
  }
}

/**
 * The connection to the engine broke while a run's container ran (the engine restarted, shut
 * down or crashed). Retried like any infrastructure fault; `lostAt` lets the retry tell a
 * container the engine stopped from one whose model exited by itself.
 */
export class EngineLostError extends InfrastructureError {
  constructor(
    message: string,
    readonly lostAt: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineLostError';
  }
}

/**
 * The engine, not the model, ended the run's container (it restarted or shut down) and the run
 * did not finish: its container is removed and the run starts again, as for any platform fault.
 */
/**
 * The engine restarted while a run's container kept running (live-restore) and dropped the
 * run's held output: Docker's local driver unmounts every volume with mount options when it
 * starts, so the sized tmpfs the model wrote to is no longer the one the engine reads back.
 */
export class OutputDroppedError extends InfrastructureError {
  /**
   * `keeperGone`: the output's keeper had stopped when the output was read, not an engine restart
   * seen under the run; `engine-closing`: it read empty while the engine was shutting down.
   * `of`: whose output it was, the model's or the benchmark's evaluator's.
   */
  constructor(keeperGone: boolean | 'engine-closing' = false, of: 'model' | 'evaluator' = 'model') {
    const whose = of === 'evaluator' ? "the evaluator's" : "the run's";
    const again = of === 'evaluator' ? 'the evaluator runs again' : 'the run starts again';
    super(
      keeperGone === 'engine-closing'
        ? `docker: ${whose} output read back empty while the engine was shutting down (it refused new connections); ${again}`
        : keeperGone
          ? `docker: ${whose} output volume was no longer held when it was read (its keeper container had stopped, so the engine unmounted the tmpfs); ${again}`
          : "docker: the engine restarted while the model ran and dropped the run's output (its tmpfs volume is unmounted when the engine starts); the run starts again",
    );
    this.name = 'OutputDroppedError';
  }
}

export class EngineStoppedError extends InfrastructureError {
  /**
   * `cleanup`: removing the container or its output failed (an engine that is shutting down
   * answers "database not open" for its volumes); the retry finds what is left, and the engine's
   * stop stays what this try is recorded as.
   */
  constructor(
    readonly exitCode: number | null,
    cleanup?: unknown,
  ) {
    const left = cleanup === undefined ? '' : `; removing it failed too: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`;
    super(`docker: the engine stopped the run's container (it restarted or shut down; exit code ${exitCode}); the run starts again${left}`, { cause: cleanup });
    this.name = 'EngineStoppedError';
  }
}
