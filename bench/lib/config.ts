/** How much each benchmark does; --quick keeps the whole run near a minute. */
export interface BenchConfig {
  quick: boolean;
  /** Which benchmarks to run (default all): orchestration, submission, capacity, leaderboard, pulls. */
  only: Set<string>;
  orchestration: {
    /** Runs at once: WORKER_CONCURRENCY for modelrun, parallel lanes for the baseline. */
    concurrency: number;
    /** Runs per throughput round. */
    runs: number;
    /** Throughput rounds per side, interleaved baseline / modelrun. */
    rounds: number;
    /** Single runs per side for latency, alternated baseline / modelrun. */
    singles: number;
    /** How often the client polls GET /v1/runs/{id} for the score. */
    pollMs: number;
  };
  submission: { connections: number; seconds: number; rounds: number };
  /** The control plane with instant runs against BullMQ no-op jobs. */
  capacity: { runs: number; rounds: number; lanes: number; concurrency: number };
  /** A batch of runs whose images are not on the host yet, from a local registry (pull-ahead). */
  pulls: { images: number; mbMin: number; mbMax: number; runsPerImage: number; workSeconds: number; concurrency: number };
  leaderboard: {
    /** [runs, models] per size; the first, empty size gives the API's own memory floor. */
    sizes: [number, number][];
    /** Requests per latency loop (sequential, one kept-alive connection). */
    loopRequests: number;
    /** Seconds of concurrent load on GET /v1/models per size. */
    loadSeconds: number;
    loadConnections: number;
  };
}

export function parseArgs(argv: readonly string[]): BenchConfig {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const num = (name: string, fallback: number): number => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  const only = new Set((value('only') ?? 'orchestration,submission,capacity,leaderboard,pulls').split(',').filter(Boolean));
  for (const name of only) {
    if (!['orchestration', 'submission', 'capacity', 'leaderboard', 'pulls'].includes(name)) throw new Error(`--only: unknown benchmark ${name}`);
  }
  return {
    quick,
    only,
    orchestration: {
      concurrency: num('concurrency', 4),
      // Issue 15: 40 runs or more per side, in rounds interleaved baseline / modelrun.
      runs: num('runs', quick ? 20 : 40),
      rounds: num('rounds', 2),
      singles: num('singles', quick ? 4 : 15),
      // 0: long-poll (?wait=); a number: poll every that many ms.
      pollMs: num('poll-ms', 0),
    },
    submission: { connections: num('connections', 16), seconds: num('seconds', quick ? 3 : 10), rounds: quick ? 1 : 2 },
    capacity: { runs: num('capacity-runs', quick ? 100 : 400), rounds: quick ? 1 : 2, lanes: 16, concurrency: num('capacity-concurrency', 16) },
    // Quick mode pulls half the images, of the same kind: smaller ones would make the pull too
    // short a part of a run for the ratio to mean what it means in full mode (20-40 MB: 0.89x).
    pulls: { images: quick ? 3 : 6, mbMin: 100, mbMax: quick ? 150 : 200, runsPerImage: 2, workSeconds: 3, concurrency: 2 },
    leaderboard: {
      // --million adds issue 15's volume, 1M runs across 100k models (generated once, kept in the temp folder).
      sizes: [
        ...(quick
          ? [
              [0, 0],
              [1_000, 100],
              [10_000, 10_000],
            ]
          : [
              [0, 0],
              [1_000, 100],
              [10_000, 10_000],
              [100_000, 10_000],
            ]),
        ...(argv.includes('--million') ? [[1_000_000, 100_000]] : []),
      ] as [number, number][],
      loopRequests: quick ? 300 : 2_000,
      loadSeconds: quick ? 1 : 5,
      loadConnections: 8,
    },
  };
}
