import type { TestEngineOptions } from './docker-engine';

/**
 * gVisor (`runsc`, Debian's package) as a TestEngine registers it. Without `--network=none`
 * runsc refuses to start a container in the root network namespace here.
 */
export const RUNSC = { path: '/usr/bin/runsc', runtimeArgs: ['--network=none'] };

/** A TestEngine's options for an engine that has gVisor beside runc (its default stays runc). */
export const GVISOR_ENGINE: Omit<TestEngineOptions, 'name'> = { daemonConfig: { runtimes: { runsc: RUNSC } } };

/** Shell that exits 0 when gVisor's kernel answers the system calls: its Sentry logs "gVisor" in its dmesg (runc's host kernel refuses dmesg or says otherwise). */
export const UNDER_GVISOR = 'dmesg 2>/dev/null | grep -q gVisor';

/** Reports which kernel answers the model's system calls, as the metric `gvisor_kernel` (and the uid it runs as). */
export const KERNEL_PROBE = {
  script: `${UNDER_GVISOR} && g=1 || g=0; echo "{\\"score\\": 1, \\"metrics\\": {\\"gvisor_kernel\\": $g, \\"uid\\": $(id -u)}}" > "$OUTPUT_DIR/score.json"`,
};
