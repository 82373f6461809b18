import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { LABELS } from '@modelrun/contracts';

let client: Docker | undefined;

/** The engine the tests use; fails with how to start it when it does not answer. */
export async function docker(): Promise<Docker> {
  if (client) return client;
  const d = new Docker();
  try {
    await d.ping();
  } catch (err) {
    throw new Error(
      `the Docker engine is not reachable (${(err as Error).message}). Start it: dockerd & (Debian: apt-get install docker.io), or set DOCKER_HOST. The integration tests need a real engine and are never skipped.`,
      { cause: err },
    );
  }
  client = d;
  return d;
}

/** Builds an image from in-memory files through the Engine API (no CLI, no BuildKit needed). */
export async function buildImage(tag: string, files: Record<string, string | Buffer>, mode: Record<string, number> = {}): Promise<void> {
  const d = await docker();
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: mode[name] ?? 0o644 }, content);
  pack.finalize();
  const stream = await d.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    d.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = err?.message ?? output.find((o) => o.error)?.error;
      if (failed) reject(new Error(`building ${tag} failed: ${failed}`));
      else resolve();
    });
  });
}

/** A statically linked busybox to put in FROM-scratch images (Debian: busybox-static). */
export function staticBusybox(): Buffer {
  let path: string;
  try {
    path = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('busybox is not installed: apt-get install busybox-static');
  }
  const elf = readFileSync(path);
  if (hasInterpreter(elf)) throw new Error(`${path} is dynamically linked and cannot run in a FROM scratch image: apt-get install busybox-static`);
  return elf;
}

function hasInterpreter(elf: Buffer): boolean {
  // ELF64: program headers at e_phoff, each e_phentsize long; PT_INTERP (3) means dynamic.
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) if (elf.readUInt32LE(phoff + i * size) === 3) return true;
  return false;
}

/**
 * Whether a container (a listing's entry, or an engine event's Actor.Attributes) is a run's
 * output keeper (packages/runner/src/output-keeper.ts): it carries the run's labels, run id
 * included, but it is not one of the run's containers and runs no model.
 */
export const isKeeper = (labels: Record<string, string> | undefined): boolean => labels?.[LABELS.step] === 'keeper';

/** Every container a deployment (a test's queue prefix) started, by label: runs' and their output keepers. */
async function allContainersOf(deployment: string): Promise<Docker.ContainerInfo[]> {
  return (await docker()).listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${deployment}`] } });
}

/** The containers a deployment started for its runs (models and evaluators), by label; not the keepers of their output volumes. */
export async function containersOf(deployment: string): Promise<Docker.ContainerInfo[]> {
  return (await allContainersOf(deployment)).filter((c) => !isKeeper(c.Labels));
}

/** The keepers that hold a deployment's runs' output volumes (packages/runner/src/output-keeper.ts). */
export async function keepersOf(deployment: string): Promise<Docker.ContainerInfo[]> {
  return (await allContainersOf(deployment)).filter((c) => isKeeper(c.Labels));
}

export async function removeContainersOf(deployment: string): Promise<void> {
  const d = await docker();
  for (const c of await allContainersOf(deployment))
    await d
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  // Benchmark runs' predictions volumes carry the same labels.
  for (const v of await volumesOf(deployment))
    await d
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

/** Volumes a deployment made (benchmark runs' predictions), by label. */
export async function volumesOf(deployment: string): Promise<Docker.VolumeInspectInfo[]> {
  const { Volumes } = await (await docker()).listVolumes({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${deployment}`] } });
  return Volumes ?? [];
}
