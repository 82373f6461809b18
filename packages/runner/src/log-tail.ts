/**
 * Keeps the last `maxBytes` of a container's output. Docker sends the output of a container
 * without a TTY as frames: 8 header bytes (stream, 0, 0, 0, big-endian length) then the payload.
 * Frames arrive split across chunks in any way; this reassembles them and drops the headers.
 */
export class LogTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private pending = Buffer.alloc(0);
  /** Bytes dropped from the front because the tail was full. */
  dropped = 0;

  constructor(private readonly maxBytes: number) {}

  /** Feeds raw multiplexed bytes; returns the payload bytes they completed (for live followers). */
  push(raw: Buffer): Buffer {
    let buf = this.pending.length ? Buffer.concat([this.pending, raw]) : raw;
    const payloads: Buffer[] = [];
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      payloads.push(buf.subarray(8, 8 + len));
      buf = buf.subarray(8 + len);
    }
    this.pending = Buffer.from(buf);
    const out = Buffer.concat(payloads);
    this.append(out);
    return out;
  }

  /** Appends plain bytes (already demultiplexed). */
  append(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    while (this.size > this.maxBytes && this.chunks.length) {
      const first = this.chunks[0]!;
      const excess = this.size - this.maxBytes;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  get bytes(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }
}
