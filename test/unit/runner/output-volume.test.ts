import assert from 'node:assert/strict';
import { LABELS, runIdAt } from '@modelrun/contracts';
import { KEEPER_PATH, type OutputOf, capPages, keeperElf, keeperName, keeperSpec, outputMount, outputOwnerOf, outputTmpfsOptions, outputVolumeName, remappedRoot } from '@modelrun/runner';

const RUN_ID = runIdAt(Date.UTC(2025, 0, 1));
const MiB = 1024 * 1024;

const output = (overrides: Partial<OutputOf> = {}): OutputOf => ({ container: `dep-run-${RUN_ID}`, deployment: 'dep', runId: RUN_ID, caps: { totalBytes: 16 * MiB }, ...overrides });

describe("a run's output volume", () => {
  describe('outputTmpfsOptions', () => {
    const cases: [string, Parameters<typeof outputTmpfsOptions>[0], string][] = [
      ['the default cap: one page and one entry past it', { totalBytes: 16 * MiB }, `size=${16 * MiB + 4096},nr_inodes=10002,mode=0755,nosuid,nodev`],
      ['a cap that is not whole pages, rounded up', { totalBytes: 1000 }, 'size=8192,nr_inodes=10002,mode=0755,nosuid,nodev'],
      ['an entry cap of its own', { totalBytes: MiB, maxEntries: 5 }, `size=${MiB + 4096},nr_inodes=7,mode=0755,nosuid,nodev`],
      [
        "root remapped (userns-remap): the folder is that root's",
        { totalBytes: MiB, rootIds: { uid: 100000, gid: 100001 } },
        `size=${MiB + 4096},nr_inodes=10002,mode=0755,uid=100000,gid=100001,nosuid,nodev`,
      ],
    ];
    for (const [what, caps, expected] of cases) it(what, () => assert.equal(outputTmpfsOptions(caps), expected));

    it('rounds the cap up to whole pages', () => {
      assert.deepEqual(
        [1, 4096, 4097, MiB].map((totalBytes) => capPages({ totalBytes })),
        [4096, 4096, 8192, MiB],
      );
    });
  });

  it('is a tmpfs named after its container, made by whichever container mounts it first', () => {
    const mount = outputMount(output(), '/output');
    assert.equal(mount.Type, 'volume');
    assert.equal(mount.Source, `dep-run-${RUN_ID}-out`);
    assert.equal(mount.ReadOnly, false);
    assert.equal(mount.VolumeOptions?.NoCopy, false, "the image's own /output (owner, mode) is copied in");
    assert.deepEqual(mount.VolumeOptions?.DriverConfig, { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs', o: outputTmpfsOptions({ totalBytes: 16 * MiB }) } });
    assert.deepEqual(mount.VolumeOptions?.Labels, { [LABELS.managed]: 'true', [LABELS.deployment]: 'dep', [LABELS.runId]: RUN_ID, [LABELS.step]: 'output' });
  });

  it('names its keeper and volume after the container, and finds the container from either', () => {
    const c = `dep-eval-${RUN_ID}`;
    assert.equal(outputVolumeName(c), `${c}-out`);
    assert.equal(keeperName(c), `${c}-keep`);
    assert.deepEqual([c, keeperName(c), outputVolumeName(c), `dep-fill-${RUN_ID}`].map(outputOwnerOf), [c, c, c, `dep-fill-${RUN_ID}`]);
  });

  describe('keeperSpec', () => {
    const labels = {
      [LABELS.managed]: 'true',
      [LABELS.deployment]: 'dep',
      [LABELS.runId]: RUN_ID,
      [LABELS.timeoutSeconds]: '60',
      [LABELS.ownerHost]: 'h',
      [LABELS.ownerFence]: '4',
      [LABELS.gpuDevices]: '0',
      [LABELS.model]: 'm',
    };
    const spec = keeperSpec(output(), 'modelrun-output-keeper:abc', labels);
    const host = spec.HostConfig!;

    it('mounts the output volume read-only and nothing else', () => {
      assert.deepEqual(
        host.Mounts?.map((m) => [m.Source, m.ReadOnly, m.VolumeOptions?.NoCopy]),
        [[`dep-run-${RUN_ID}-out`, true, true]],
      );
      assert.deepEqual(host.Binds ?? [], []);
    });

    it("runs the keeper alone, with no network, no capabilities, one process and nobody's user", () => {
      assert.equal(spec.name, `dep-run-${RUN_ID}-keep`);
      assert.deepEqual(spec.Entrypoint, [KEEPER_PATH]);
      assert.equal(spec.User, '65534:65534');
      assert.equal(host.NetworkMode, 'none');
      assert.equal(spec.NetworkDisabled, true);
      assert.deepEqual(host.CapDrop, ['ALL']);
      assert.equal(host.ReadonlyRootfs, true);
      assert.equal(host.PidsLimit, 1);
      assert.equal(host.Memory, host.MemorySwap);
      assert.equal(host.RestartPolicy?.Name, 'no');
    });

    it("carries the labels that say whose it is, but not the model's GPUs", () => {
      assert.deepEqual(spec.Labels, {
        [LABELS.managed]: 'true',
        [LABELS.deployment]: 'dep',
        [LABELS.runId]: RUN_ID,
        [LABELS.timeoutSeconds]: '60',
        [LABELS.ownerHost]: 'h',
        [LABELS.ownerFence]: '4',
        [LABELS.step]: 'keeper',
      });
    });
  });

  describe('keeperElf', () => {
    const field = (elf: Buffer) => ({
      magic: elf.subarray(0, 4).toString('latin1'),
      class64: elf[4],
      type: elf.readUInt16LE(16),
      machine: elf.readUInt16LE(18),
      entry: elf.readBigUInt64LE(24),
      segments: elf.readUInt16LE(56),
      fileSize: elf.readBigUInt64LE(64 + 32),
      length: elf.length,
    });

    it('is a static executable that loops on pause(2) on x86-64', () => {
      const elf = keeperElf('x86_64')!;
      assert.deepEqual(field(elf), { magic: '\x7fELF', class64: 2, type: 2, machine: 0x3e, entry: 0x400078n, segments: 1, fileSize: 129n, length: 129 });
      // mov eax, 34; syscall; jmp back to the mov
      assert.deepEqual([...elf.subarray(120)], [0xb8, 0x22, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]);
      assert.deepEqual(keeperElf('amd64'), elf, "Go's name for it too");
    });

    it('is one on AArch64 that loops on ppoll(2), which has no pause', () => {
      const elf = keeperElf('aarch64')!;
      assert.deepEqual(field(elf), { magic: '\x7fELF', class64: 2, type: 2, machine: 0xb7, entry: 0x400078n, segments: 1, fileSize: 148n, length: 148 });
      assert.equal(elf.readUInt32LE(120 + 4 * 4), 0xd2800928, 'mov x8, #73 (ppoll)');
      assert.equal(elf.readUInt32LE(120 + 6 * 4), 0x17fffffa, 'b back six instructions');
      assert.deepEqual(keeperElf('arm64'), elf);
    });

    it('has none for another architecture', () => {
      assert.equal(keeperElf('s390x'), undefined);
      assert.equal(keeperElf('armv7l'), undefined);
    });
  });

  describe('remappedRoot', () => {
    const cases: [string, Parameters<typeof remappedRoot>[0], ReturnType<typeof remappedRoot>][] = [
      ['no user namespaces', { SecurityOptions: ['name=seccomp,profile=default'], DockerRootDir: '/var/lib/docker' }, undefined],
      [
        "userns-remap names the data root after root's ids",
        { SecurityOptions: ['name=seccomp,profile=default', 'name=userns'], DockerRootDir: '/var/lib/docker/100000.100000' },
        { uid: 100000, gid: 100000 },
      ],
      ['userns without ids in the data root', { SecurityOptions: ['name=userns'], DockerRootDir: '/srv/docker' }, undefined],
      ['ids in a data root without userns', { SecurityOptions: [], DockerRootDir: '/srv/1.2' }, undefined],
    ];
    for (const [what, info, expected] of cases) it(what, () => assert.deepEqual(remappedRoot(info), expected));
  });
});
