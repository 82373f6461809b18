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
  constructor(readonly reason: Exclude<FailureReason, 'infrastructure' | 'cancelled'>, message: string) {
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
  constructor(message: string, readonly lostAt: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineLostError';
  }
}

/**
 * The engine, not the model, ended the run's container (it restarted or shut down) and the run
 * did not finish: its container is removed and the run starts again, as for any platform fault.
 */
export class EngineStoppedError extends InfrastructureError {
  constructor(readonly exitCode: number | null) {
    super(`docker: the engine stopped the run's container (it restarted or shut down; exit code ${exitCode}); the run starts again`);
    this.name = 'EngineStoppedError';
  }
}
