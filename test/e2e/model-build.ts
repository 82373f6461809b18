import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');
/** The image `npm run model:build` builds from model/. */
export const SAMPLE_IMAGE = 'modelrun/sample-model:latest';

/**
 * `npm run model:build`: the sample model, the digits evaluator and the reference volume.
 * @returns its output; a failure carries the end of it.
 */
export function modelBuild(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/model-build.sh'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`model:build exited ${code}:\n${output.slice(-4000)}`))));
  });
}
