import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  /** Whole milliseconds: autocannon's histogram has no finer resolution. */
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

/** autocannon against one URL for a fixed time; every connection keeps one request in flight. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    method: opts.method ?? 'GET',
    ...(opts.body !== undefined && { body: opts.body }),
    ...(opts.headers && { headers: opts.headers }),
    pipelining: 1,
  });
  return {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    seconds: r.duration,
  };
}
