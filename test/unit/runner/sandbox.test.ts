import assert from 'node:assert/strict';
import { LABELS, containerName, runIdAt } from '@modelrun/contracts';
import { type ContainerInput, OUTPUT_DIR, containerSpec, evaluatorContainerSpec } from '@modelrun/runner';

const RUN_ID = runIdAt(Date.UTC(2025, 0, 1));

function input(overrides: Partial<ContainerInput> = {}): ContainerInput {
  return {
    deployment: 'modelrun-test',
    runId: RUN_ID,
    name: 'digits-logreg',
    image: 'registry.example/team/model:1',
    limits: { timeoutSeconds: 60, memoryMb: 512, cpus: 1.5, gpus: 0 },
    policy: { pidsLimit: 128, tmpMb: 64, logMaxBytes: 1024 * 1024 },
    output: { totalBytes: 16 * 1024 * 1024 },
    ...overrides,
  };
}

describe('containerSpec', () => {
  const spec = containerSpec(input());
  const host = spec.HostConfig!;

  it("labels the container with its run's owner and fence, so no later fence adopts it", () => {
    const owned = containerSpec(input({ owner: { host: 'worker-7-0123456789ab', fence: 3 } }));
    assert.equal(owned.Labels?.[LABELS.ownerHost], 'worker-7-0123456789ab');
    assert.equal(owned.Labels?.[LABELS.ownerFence], '3');
    assert.equal(spec.Labels?.[LABELS.ownerFence], undefined, 'no owner, no owner labels');
  });

  it('turns networking off', () => {
    assert.equal(host.NetworkMode, 'none');
    assert.equal(spec.NetworkDisabled, true);
  });

  it('makes the root filesystem read-only with a size-capped tmpfs at /tmp', () => {
    assert.equal(host.ReadonlyRootfs, true);
    assert.match(host.Tmpfs?.['/tmp'] ?? '', /(^|,)size=64m(,|$)/);
    assert.match(host.Tmpfs?.['/tmp'] ?? '', /nosuid/);
  });

  it('drops every capability and forbids gaining privileges', () => {
    assert.deepEqual(host.CapDrop, ['ALL']);
    assert.equal(host.CapAdd, undefined);
    const securityOpt: string[] = host.SecurityOpt ?? [];
    assert.ok(
      securityOpt.some((o) => /^no-new-privileges(:true)?$/.test(o)),
      JSON.stringify(securityOpt),
    );
    assert.equal(host.Privileged, false);
  });

  it('caps processes, memory without swap, and CPUs', () => {
    assert.equal(host.PidsLimit, 128);
    assert.equal(host.Memory, 512 * 1024 * 1024);
    assert.equal(host.MemorySwap, host.Memory);
    assert.equal(host.NanoCpus, 1_500_000_000);
  });

  it('runs an init process as PID 1', () => {
    assert.equal(host.Init, true);
  });

  it('caps the json-file log', () => {
    assert.equal(host.LogConfig?.Type, 'json-file');
    assert.equal(host.LogConfig?.Config?.['max-size'], '1024k');
    assert.equal(host.LogConfig?.Config?.['max-file'], '2');
  });

  it('mounts nothing from the host and passes no devices', () => {
    assert.deepEqual(host.Binds ?? [], []);
    assert.deepEqual(host.Devices ?? [], []);
    assert.equal(host.DeviceRequests, undefined);
    for (const mount of host.Mounts ?? []) {
      assert.notEqual(mount.Type, 'bind', JSON.stringify(mount));
    }
    assert.deepEqual(
      (host.Mounts ?? []).map((m) => m.Target),
      [OUTPUT_DIR],
    );
  });

  it("gives /output a tmpfs volume of the run's own, sized at the output cap (its keeper holds it)", () => {
    const [mount] = host.Mounts ?? [];
    assert.equal(mount?.Source, `${containerName('modelrun-test', RUN_ID)}-out`);
    assert.equal(mount?.VolumeOptions?.DriverConfig?.Options?.type, 'tmpfs');
    assert.match(mount?.VolumeOptions?.DriverConfig?.Options?.o ?? '', new RegExp(`^size=${16 * 1024 * 1024 + 4096},`));
    const evaluator = evaluatorContainerSpec(
      'modelrun-test',
      { runId: RUN_ID, name: 'm', benchmark: 'digits', image: 'eval:1', limits: { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 0 }, reference: { volume: 'ref' } },
      'eval:1',
      { pidsLimit: 128, tmpMb: 64, logMaxBytes: 1024 },
      { totalBytes: 1024 * 1024 },
    );
    const outputs = (evaluator.HostConfig?.Mounts ?? []).filter((m) => m.Target === OUTPUT_DIR);
    assert.deepEqual(
      outputs.map((m) => m.Source),
      [`modelrun-test-eval-${RUN_ID}-out`],
      "the evaluator's own, never the model's",
    );
    assert.match(outputs[0]?.VolumeOptions?.DriverConfig?.Options?.o ?? '', new RegExp(`^size=${1024 * 1024 + 4096},`));
  });

  it('keeps the image entrypoint and command, and its user', () => {
    assert.equal(spec.Image, 'registry.example/team/model:1');
    assert.equal(spec.Entrypoint, undefined);
    assert.equal(spec.Cmd, undefined);
    assert.equal(spec.User, undefined);
  });

  it('gives the model OUTPUT_DIR, MODEL_NAME and RUN_ID, and nothing else', () => {
    assert.deepEqual([...(spec.Env ?? [])].sort(), [`MODEL_NAME=digits-logreg`, `OUTPUT_DIR=/output`, `RUN_ID=${RUN_ID}`]);
  });

  it('names and labels the container after the run and the deployment', () => {
    assert.equal(spec.name, containerName('modelrun-test', RUN_ID));
    assert.ok(spec.name?.includes(RUN_ID));
    assert.ok(spec.name?.startsWith('modelrun-test'));
    assert.equal(spec.Labels?.[LABELS.managed], 'true');
    assert.equal(spec.Labels?.[LABELS.runId], RUN_ID);
    assert.equal(spec.Labels?.[LABELS.deployment], 'modelrun-test');
    assert.equal(spec.Labels?.[LABELS.model], 'digits-logreg');
    assert.equal(spec.Labels?.[LABELS.timeoutSeconds], '60');
  });

  it('never restarts or removes the container by itself', () => {
    assert.equal(host.RestartPolicy?.Name, 'no');
    assert.equal(host.AutoRemove, false);
  });

  it('asks for GPUs only when the run has some, by device id (never a count), and labels the container with them', () => {
    const gpuSpec = containerSpec(input({ limits: { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 2 }, gpuDevices: ['1', 'GPU-3f0c'] }));
    const gpu = gpuSpec.HostConfig!;
    assert.equal(gpu.DeviceRequests?.length, 1);
    assert.equal(gpu.DeviceRequests?.[0]?.Count, 0, 'Docker refuses Count and DeviceIDs together');
    assert.deepEqual(gpu.DeviceRequests?.[0]?.DeviceIDs, ['1', 'GPU-3f0c']);
    assert.deepEqual(gpu.DeviceRequests?.[0]?.Capabilities, [['gpu']]);
    assert.equal(gpuSpec.Labels?.['io.modelrun.gpu-devices'], '1,GPU-3f0c');
    assert.ok(!('DeviceRequests' in host), 'no DeviceRequests key without GPUs');
    assert.equal(spec.Labels?.['io.modelrun.gpu-devices'], undefined);
  });

  it("gives a benchmark's evaluator the devices it is handed (the run's own), never the first N", () => {
    const evaluator = evaluatorContainerSpec(
      'dep',
      { runId: RUN_ID, name: 'm', benchmark: 'digits', image: 'eval:1', limits: { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 1 }, reference: { volume: 'ref' }, gpuDevices: ['2'] },
      'eval:1',
      { pidsLimit: 128, tmpMb: 64, logMaxBytes: 1024 },
      { totalBytes: 1024 * 1024 },
    );
    assert.deepEqual(evaluator.HostConfig!.DeviceRequests?.[0]?.DeviceIDs, ['2']);
    assert.equal(evaluator.Labels?.[LABELS.gpuDevices], '2');
  });

  it('refuses a GPU run given fewer or more device ids than it asks for', () => {
    const limits = { timeoutSeconds: 60, memoryMb: 512, cpus: 1, gpus: 2 };
    assert.throws(() => containerSpec(input({ limits, gpuDevices: ['0'] })), /asks for 2 GPUs but was given 1 device ids/);
    // Without ids (modelrun validate, one-off on this host), the first N.
    assert.deepEqual(containerSpec(input({ limits })).HostConfig!.DeviceRequests?.[0]?.DeviceIDs, ['0', '1']);
  });

  it('follows the limits and policy it is given', () => {
    const other = containerSpec(input({ limits: { timeoutSeconds: 5, memoryMb: 64, cpus: 0.25, gpus: 0 }, policy: { pidsLimit: 16, tmpMb: 8, logMaxBytes: 10 } })).HostConfig!;
    assert.equal(other.Memory, 64 * 1024 * 1024);
    assert.equal(other.MemorySwap, 64 * 1024 * 1024);
    assert.equal(other.NanoCpus, 250_000_000);
    assert.equal(other.PidsLimit, 16);
    assert.match(other.Tmpfs?.['/tmp'] ?? '', /size=8m/);
    assert.equal(other.LogConfig?.Config?.['max-size'], '64k', 'the json-file log keeps at least 64k');
  });

  it("runs the model under RUN_RUNTIME, and under gVisor leaves room for gVisor's own threads in the pids limit", () => {
    const base = input().policy;
    assert.equal(containerSpec(input()).HostConfig!.Runtime, undefined, "the engine's default runtime unless one is set");
    const table: [runtime: string, pidsLimit: number, hostLimit: number][] = [
      ['runc', 64, 64],
      ['kata', 64, 64],
      ['runsc', 64, 128 + 8 * 64],
      ['runsc-debug', 16, 128 + 8 * 16],
    ];
    for (const [runtime, pidsLimit, hostLimit] of table) {
      const h = containerSpec(input({ policy: { ...base, runtime, pidsLimit } })).HostConfig!;
      assert.equal(h.Runtime, runtime);
      assert.equal(h.PidsLimit, hostLimit, runtime);
    }
  });
});
