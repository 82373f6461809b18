import type Docker from 'dockerode';
import { LABELS } from '@modelrun/contracts';
import type { OutputCaps } from './archive';
import { KEEPER_PATH } from './output-keeper';

/**
 * A run's output folder is a volume of its own: a tmpfs sized at RUN_OUTPUT_MAX_MB, so a model
 * that writes past its cap gets "no space left on device" at once instead of filling the host's
 * disk (an unsized volume took 300 MB from a model whose output was capped at 16 MB, and only
 * the copy out was capped). Its pages are RAM, charged to the writer's memory limit, and gone
 * when the volume is.
 *
 * It is a named volume, not the container's own tmpfs, because the output must outlive the
 * model's exit until the worker has copied it out; a keeper container (output-keeper.ts) holds it
 * mounted meanwhile, since the engine unmounts (and so empties) a tmpfs volume as soon as no
 * running container uses it. The keeper starts before the model's container is created: the
 * engine copies the image's own /output (its owner and mode, which non-root images rely on) into
 * the volume at create, and that copy would be lost with an unmount.
 */

/** tmpfs counts space in whole pages: the smallest file takes one. */
export const OUTPUT_PAGE_BYTES = 4096;
/** Entries the output folder may hold when OutputCaps.maxEntries is unset (as the archive reader). */
export const OUTPUT_MAX_ENTRIES = 10_000;

/** The output volume of a container (the model's, or a benchmark run's evaluator's). */
export const outputVolumeName = (container: string): string => `${container}-out`;
/** The keeper of a container's output volume. */
export const keeperName = (container: string): string => `${container}-keep`;
/** The container whose output a keeper or volume belongs to (the name itself for any other). */
export const outputOwnerOf = (name: string): string => name.replace(/-(keep|out)$/, '');

/** The cap rounded up to whole pages: the most a model may use without passing it. */
export function capPages(caps: Pick<OutputCaps, 'totalBytes'>): number {
  return Math.ceil(caps.totalBytes / OUTPUT_PAGE_BYTES) * OUTPUT_PAGE_BYTES;
}

/**
 * The tmpfs mount options of an output volume. One page and one entry more than the caps allow,
 * so a model that tried to pass a cap is seen past it when its output is read, and the run fails
 * saying so, whatever the model did after its write failed. The folder is root's with mode 755,
 * as Docker makes a missing mount point, unless the image has its own /output (copied at create).
 */
export function outputTmpfsOptions(caps: OutputSize): string {
  const size = capPages(caps) + OUTPUT_PAGE_BYTES;
  // The folder itself takes an inode too.
  const inodes = (caps.maxEntries ?? OUTPUT_MAX_ENTRIES) + 2;
  const owner = caps.rootIds ? `,uid=${caps.rootIds.uid},gid=${caps.rootIds.gid}` : '';
  return `size=${size},nr_inodes=${inodes},mode=0755${owner},nosuid,nodev`;
}

/** An output volume's caps (RUN_OUTPUT_MAX_MB and the entry cap), and whose root owns it. */
export type OutputSize = Pick<OutputCaps, 'totalBytes' | 'maxEntries'> & {
  /** Root's host ids under userns-remap (output-keeper.ts); the host's root otherwise. */
  rootIds?: { uid: number; gid: number };
};

export interface OutputOf {
  /** The container whose /output this is. */
  container: string;
  deployment: string;
  runId: string;
  caps: OutputSize;
}

/**
 * The mount of the output volume at `target`. Every container that mounts it says how to make
 * it, so whichever create comes first makes the sized tmpfs; none can make an unsized one.
 */
export function outputMount(output: OutputOf, target: string, readOnly = false): Docker.MountSettings {
  return {
    Type: 'volume',
    Source: outputVolumeName(output.container),
    Target: target,
    ReadOnly: readOnly,
    VolumeOptions: {
      NoCopy: readOnly,
      Labels: { [LABELS.managed]: 'true', [LABELS.deployment]: output.deployment, [LABELS.runId]: output.runId, [LABELS.step]: 'output' },
      DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: outputTmpfsOptions(output.caps) } },
    },
  };
}

/** The keeper's memory: the executable is 129 bytes; the engine refuses less than 6 MiB. */
const KEEPER_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * The keeper's container: the output volume read-only, nothing else; no network, no
 * capabilities, one process, nobody's user. It carries the labels of the container whose output
 * it keeps (run, deployment, time limit, owner and fence), so the reconciler and the clean-up
 * find and remove it with the run.
 */
export function keeperSpec(output: OutputOf, image: string, containerLabels: Record<string, string> = {}): Docker.ContainerCreateOptions {
  // The container's labels that say whose it is; not its GPU devices, which the keeper does not hold.
  const kept = [LABELS.managed, LABELS.deployment, LABELS.runId, LABELS.timeoutSeconds, LABELS.ownerHost, LABELS.ownerFence];
  const labels = Object.fromEntries(Object.entries(containerLabels).filter(([k]) => (kept as string[]).includes(k)));
  return {
    name: keeperName(output.container),
    Image: image,
    Entrypoint: [KEEPER_PATH],
    Cmd: [],
    User: '65534:65534',
    Labels: { ...labels, [LABELS.managed]: 'true', [LABELS.deployment]: output.deployment, [LABELS.runId]: output.runId, [LABELS.step]: 'keeper' },
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      PidsLimit: 1,
      Memory: KEEPER_MEMORY_BYTES,
      MemorySwap: KEEPER_MEMORY_BYTES,
      Mounts: [outputMount(output, '/output', true)],
      LogConfig: { Type: 'none', Config: {} },
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
    },
  };
}
