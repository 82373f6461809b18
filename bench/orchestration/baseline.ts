import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { type AppliedLimits, newRunId } from '@modelrun/contracts';
import { OUTPUT_DIR, type SandboxPolicy, containerSpec, readOutputArchive } from '@modelrun/runner';
import { nowMs } from '../lib/stats';

export interface DirectSettings {
  docker: Docker;
  /** Labels and names the baseline's containers, so they can be cleaned up by label. */
  deployment: string;
  image: string;
  limits: AppliedLimits;
  policy: SandboxPolicy;
  outputMaxBytes: number;
}

/**
 * The same container work a modelrun run needs, done directly: create with the same sandbox
 * (containerSpec, as the worker uses), start, wait, copy /output out through the archive
 * endpoint and read the score, remove. Nothing else: no queue, no records, no HTTP.
 * @returns start and end in wall-clock ms.
 */
export async function directRun(s: DirectSettings): Promise<{ start: number; end: number; score: number | undefined }> {
  const start = nowMs();
  const runId = newRunId();
  const sandboxed = containerSpec({ deployment: s.deployment, runId, name: 'bench-direct', image: s.image, limits: s.limits, policy: s.policy, output: { totalBytes: s.outputMaxBytes } });
  // Plain Docker's unsized anonymous volume: the keeper that holds modelrun's sized one counts as modelrun's overhead.
  const spec = { ...sandboxed, HostConfig: { ...sandboxed.HostConfig, Mounts: [{ Type: 'volume' as const, Source: '', Target: OUTPUT_DIR }] } };
  const container = await s.docker.createContainer(spec);
  let score: number | undefined;
  try {
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    if (exit.StatusCode !== 0) throw new Error(`baseline container exited ${exit.StatusCode}`);
    const stream = (await container.getArchive({ path: OUTPUT_DIR })) as unknown as Readable;
    const out = await readOutputArchive(stream, { totalBytes: s.outputMaxBytes });
    if (!out.score) throw new Error(`baseline container wrote no score: ${out.problem ?? 'nothing in /output'}`);
    score = (JSON.parse(out.score.bytes.toString()) as { score?: number }).score;
  } finally {
    await container.remove({ force: true, v: true });
  }
  // Removal is part of the run: modelrun removes the container before it completes the job.
  return { start, end: nowMs(), score };
}
