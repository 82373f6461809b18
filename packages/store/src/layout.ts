import { join, resolve } from 'node:path';
import { MODEL_NAME_PATTERN, RUN_ID_PATTERN } from '@modelrun/contracts';

/**
 * Where things live on the shared volume:
 *
 *   DATA_DIR/runs/<model>/<run-id>.json   the record of a finished run (written once)
 *   DATA_DIR/logs/<model>/<run-id>.log    the last RUN_LOG_MAX_KB of the run's output
 *   DATA_DIR/logs/<model>/<run-id>.evaluator.log   a benchmark run's evaluator output (operator only)
 *   DATA_DIR/tmp/                         temp files, renamed or linked into place
 *   DATA_DIR/predictions/<model>/<run-id>.tar   a benchmark run's kept predictions (KEEP_PREDICTIONS)
 *   DATA_DIR/details/<model>/<run-id>.json      a benchmark run's detailed results from its evaluator
 *
 * Model names and run ids are checked against their closed alphabets before any path is built,
 * so no name can climb out of DATA_DIR.
 */
export class VolumeLayout {
  readonly root: string;
  readonly runsDir: string;
  readonly logsDir: string;
  readonly tmpDir: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.runsDir = join(this.root, 'runs');
    this.logsDir = join(this.root, 'logs');
    this.tmpDir = join(this.root, 'tmp');
  }

  modelDir(name: string): string {
    return join(this.runsDir, checkName(name));
  }

  recordPath(name: string, id: string): string {
    return join(this.modelDir(name), `${checkId(id)}.json`);
  }

  logPath(name: string, id: string): string {
    return join(this.logsDir, checkName(name), `${checkId(id)}.log`);
  }

  /** A benchmark run's evaluator output: for the operator, never served by the API. */
  evaluatorLogPath(name: string, id: string): string {
    return join(this.logsDir, checkName(name), `${checkId(id)}.evaluator.log`);
  }

  /** A benchmark run's predictions (the model's /output, rebuilt as a tar): for its owner and re-scoring. */
  predictionsPath(name: string, id: string): string {
    return join(this.root, 'predictions', checkName(name), `${checkId(id)}.tar`);
  }

  /** A benchmark run's detailed results, as the worker validated them: for its owner. */
  detailsPath(name: string, id: string): string {
    return join(this.root, 'details', checkName(name), `${checkId(id)}.json`);
  }
}

function checkName(name: string): string {
  if (!MODEL_NAME_PATTERN.test(name)) throw new Error(`not a model name: ${JSON.stringify(name)}`);
  return name;
}

function checkId(id: string): string {
  if (!RUN_ID_PATTERN.test(id)) throw new Error(`not a run id: ${JSON.stringify(id)}`);
  return id;
}

/** `<run-id>.json` to the run id, or undefined for any other file name (temp files, strays). */
export function runIdOfRecordFile(file: string): string | undefined {
  if (!file.endsWith('.json')) return undefined;
  const id = file.slice(0, -5);
  return RUN_ID_PATTERN.test(id) ? id : undefined;
}
