/** What the bench says to an API child process (api-child.ts), and what it answers. */
export type ChildRequest = { type: 'memory' } | { type: 'floor'; path: string } | { type: 'rescan' } | { type: 'verified' } | { type: 'snapshot' } | { type: 'stop' };

export type ChildReply =
  | {
      type: 'ready';
      url: string;
      bootToListenMs: number;
      /** From the process's start (performance.timeOrigin: module loading included) to listening. */
      processToListenMs: number;
      startApiMs: number;
      indexMs: number | undefined;
      /** Where the index came from: the index snapshot or a scan of every record. */
      indexSource: string | undefined;
      records: number;
      models: number;
    }
  /** The index checked against the volume: ms from the process's start (at once after a full scan). */
  | { type: 'verified'; processMs: number; state: string }
  /** The index snapshot written (or found current): how long it took and its size. */
  | { type: 'snapshot'; ms: number; bytes: number }
  /** maxRss: the process's peak resident memory so far, in bytes. */
  | { type: 'memory'; rss: number; maxRss: number; heapUsed: number; heapTotal: number; external: number; gcRan: boolean }
  | { type: 'floor'; url: string; bytes: number }
  | { type: 'rescan'; ms: number }
  | { type: 'error'; message: string };

export type Ready = Extract<ChildReply, { type: 'ready' }>;
