import type { EngineFacts } from '@modelrun/contracts';
import { createDocker } from '@modelrun/runner';

/** How often a worker asks its engine for the fleet view's figures: `docker system df` walks every layer, so not often. */
export const ENGINE_FACTS_EVERY_MS = 60_000;

interface DockerInfo {
  ServerVersion?: string;
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
}

interface DockerDf {
  LayersSize?: number;
  Images?: unknown[];
  Containers?: { SizeRw?: number }[];
  Volumes?: { UsageData?: { Size?: number } }[];
  BuildCache?: { Size?: number }[];
}

/** Reads what the fleet view shows of an engine: its version, runtimes, images and disk use. */
export function engineFactsReader(dockerHost: string | undefined): () => Promise<EngineFacts> {
  const docker = createDocker(dockerHost);
  return async () => {
    const [info, df] = await Promise.all([docker.info() as Promise<DockerInfo>, docker.df() as Promise<DockerDf>]);
    const sizes = [
      df.LayersSize ?? 0,
      ...(df.Containers ?? []).map((c) => c.SizeRw ?? 0),
      // -1 is "not computed" in the Engine API.
      ...(df.Volumes ?? []).map((v) => Math.max(0, v.UsageData?.Size ?? 0)),
      ...(df.BuildCache ?? []).map((b) => b.Size ?? 0),
    ];
    return {
      engineVersion: info.ServerVersion ?? 'unknown',
      runtimes: Object.keys(info.Runtimes ?? {}).sort(),
      ...(info.DefaultRuntime && { defaultRuntime: info.DefaultRuntime }),
      imagesCached: (df.Images ?? []).length,
      diskUsedBytes: sizes.reduce((a, b) => a + b, 0),
      checkedAt: new Date().toISOString(),
    };
  };
}
