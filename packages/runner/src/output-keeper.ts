import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { NOT_FOUND, infrastructure, statusOf } from './docker-errors';
import { InfrastructureError } from './errors';

/**
 * The keeper: a process that does nothing, forever, so that a container running it holds a
 * run's output volume mounted. The engine unmounts a volume with mount options (our sized
 * tmpfs) as soon as no running container uses it, and a tmpfs that is unmounted is gone: without
 * a keeper, the model's exit would drop its output before the worker could copy it out.
 *
 * No registry can be assumed, so the image is made on the engine from these bytes: one static
 * ELF file per architecture, a loop around a system call that sleeps until a signal arrives.
 * The keeper runs as PID 1 of its container, so every signal without a handler is ignored and
 * only the engine's SIGKILL (when the keeper is removed) ends it.
 */
const ARCHITECTURES: Record<string, { machine: number; code: number[] }> = {
  // x86-64: loop: mov eax, 34 (pause); syscall; jmp loop
  x86_64: { machine: 0x3e, code: [0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7] },
  // AArch64 has no pause(2): ppoll(NULL, 0, NULL, NULL) (73) blocks the same way.
  // loop: mov x0..x3, #0; mov x8, #73; svc #0; b loop (six instructions back)
  aarch64: {
    machine: 0xb7,
    code: [0xd2800000, 0xd2800001, 0xd2800002, 0xd2800003, 0xd2800928, 0xd4000001, 0x17fffffa].flatMap((word) => [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24]),
  },
};
const ALIASES: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };

const ELF_HEADER = 64;
const PROGRAM_HEADER = 56;
const LOAD_ADDRESS = 0x400000;

/** The keeper's executable for an engine's architecture (`docker info`'s Architecture), or undefined when there is none. */
export function keeperElf(architecture: string): Buffer | undefined {
  const arch = ARCHITECTURES[ALIASES[architecture] ?? architecture];
  if (!arch) return undefined;
  const codeAt = ELF_HEADER + PROGRAM_HEADER;
  const elf = Buffer.alloc(codeAt + arch.code.length);
  // ELF64, little-endian, version 1, System V ABI.
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf, 0);
  elf.writeUInt16LE(2, 16); // e_type: an executable
  elf.writeUInt16LE(arch.machine, 18);
  elf.writeUInt32LE(1, 20); // e_version
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS + codeAt), 24); // e_entry: the code, right after the headers
  elf.writeBigUInt64LE(BigInt(ELF_HEADER), 32); // e_phoff
  elf.writeUInt16LE(ELF_HEADER, 52); // e_ehsize
  elf.writeUInt16LE(PROGRAM_HEADER, 54); // e_phentsize
  elf.writeUInt16LE(1, 56); // e_phnum; no section headers
  // One PT_LOAD segment, readable and executable, mapping the whole file at LOAD_ADDRESS.
  elf.writeUInt32LE(1, ELF_HEADER);
  elf.writeUInt32LE(5, ELF_HEADER + 4);
  elf.writeBigUInt64LE(0n, ELF_HEADER + 8);
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), ELF_HEADER + 16);
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), ELF_HEADER + 24);
  elf.writeBigUInt64LE(BigInt(elf.length), ELF_HEADER + 32);
  elf.writeBigUInt64LE(BigInt(elf.length), ELF_HEADER + 40);
  elf.writeBigUInt64LE(0x1000n, ELF_HEADER + 48);
  Buffer.from(arch.code).copy(elf, codeAt);
  return elf;
}

/** Where the executable sits in the keeper's image. */
export const KEEPER_PATH = '/keeper';

/** What output volumes need to know of their engine. */
export interface OutputEngine {
  /** The keeper image's tag. */
  image: string;
  /** Root's ids on the host when the engine remaps user namespaces: the output folder's owner (as Docker makes its volumes). */
  rootIds?: { uid: number; gid: number };
}

/**
 * Root's host ids under userns-remap, which names the engine's data root after them
 * (`/var/lib/docker/100000.100000`); a tmpfs made by the engine is the host root's otherwise,
 * which root in the container cannot write.
 */
export function remappedRoot(info: { SecurityOptions?: string[]; DockerRootDir?: string }): { uid: number; gid: number } | undefined {
  if (!(info.SecurityOptions ?? []).some((o) => o.split(',').includes('name=userns'))) return undefined;
  const ids = /\/(\d+)\.(\d+)\/?$/.exec(info.DockerRootDir ?? '');
  return ids ? { uid: Number(ids[1]), gid: Number(ids[2]) } : undefined;
}

/**
 * The keeper image on this engine, made from the bytes above when missing. Its tag carries a
 * digest of the executable, so a changed keeper never runs as an old one.
 * @throws InfrastructureError for an engine of another architecture (the output cannot be capped there).
 */
export async function prepareOutputEngine(docker: Docker): Promise<OutputEngine> {
  let info: { Architecture?: string; SecurityOptions?: string[]; DockerRootDir?: string };
  try {
    info = (await docker.info()) as typeof info;
  } catch (err) {
    throw infrastructure("read the engine's architecture", err);
  }
  const architecture = String(info.Architecture);
  const rootIds = remappedRoot(info);
  const engine = (image: string): OutputEngine => ({ image, ...(rootIds && { rootIds }) });
  const elf = keeperElf(architecture);
  if (!elf) {
    throw new InfrastructureError(
      `docker: the engine's architecture ${architecture} has no output keeper (x86_64 and aarch64 do), so a run's output cannot be held within RUN_OUTPUT_MAX_MB: run workers on an x86_64 or aarch64 engine`,
    );
  }
  const tag = `modelrun-output-keeper:${createHash('sha256').update(elf).digest('hex').slice(0, 12)}`;
  try {
    await docker.getImage(tag).inspect();
    return engine(tag);
  } catch (err) {
    if (statusOf(err) !== NOT_FOUND) throw infrastructure('inspect the output keeper image', err);
  }
  const pack = tar.pack();
  pack.entry({ name: KEEPER_PATH.slice(1), mode: 0o555, uid: 0, gid: 0, mtime: new Date(0) }, elf);
  pack.finalize();
  try {
    const [repo, version] = tag.split(':') as [string, string];
    const stream = await docker.importImage(pack as unknown as NodeJS.ReadableStream, { repo, tag: version });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = err?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new Error(failed));
        else resolve();
      });
    });
  } catch (err) {
    throw infrastructure('make the output keeper image', err);
  }
  return engine(tag);
}
