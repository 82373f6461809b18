/** What the bench says to an API child process (api-child.ts), and what it answers. */
export type ChildRequest = { type: 'memory' } | { type: 'floor'; path: string } | { type: 'rescan' } | { type: 'stop' };

export type ChildReply =
  | { type: 'ready'; url: string; bootToListenMs: number; startApiMs: number; indexMs: number | undefined; records: number; models: number }
  | { type: 'memory'; rss: number; heapUsed: number; heapTotal: number; external: number; gcRan: boolean }
  | { type: 'floor'; url: string; bytes: number }
  | { type: 'rescan'; ms: number }
  | { type: 'error'; message: string };

export type Ready = Extract<ChildReply, { type: 'ready' }>;
