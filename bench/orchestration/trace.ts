import Modem from 'docker-modem';
import { Job } from 'bullmq';
import { RunControl } from '@modelrun/run-control';
import { RecordStore } from '@modelrun/store';
import { nowMs } from '../lib/stats';

/** One timed call: an Engine API request, or a Redis or volume step of the worker. */
export interface Span {
  what: string;
  start: number;
  end: number;
  /** For streamed answers (archive, logs): when the body ended, after `end` (the headers). */
  bodyEnd?: number;
}

/**
 * Times every Engine API request the process makes (at docker-modem's dial, so whichever
 * dockerode client or runner makes it) and the worker's own Redis and volume steps (by
 * wrapping RecordStore, RunControl and Job methods, counting only calls made from the worker's
 * code). Nothing in modelrun is edited; when tracing is off the wrappers only test a flag.
 */
export class Tracer {
  enabled = false;
  private spans: Span[] = [];

  install(): void {
    const tracer = this;
    type Dial = (this: Modem, options: Modem.DialOptions, callback?: Modem.RequestCallback) => void;
    const dial = Modem.prototype.dial as Dial;
    (Modem.prototype as { dial: Dial }).dial = function (options, callback) {
      if (!tracer.enabled || !callback) return dial.call(this, options, callback);
      const span: Span = { what: engineLabel(options), start: nowMs(), end: Number.NaN };
      tracer.spans.push(span);
      return dial.call(this, options, (err, data) => {
        span.end = nowMs();
        const body = data as { once?: (ev: string, fn: () => void) => void } | undefined;
        if (options.isStream && body && typeof body.once === 'function') {
          // A passive listener: it does not switch the stream into flowing mode.
          const ended = (): void => void (span.bodyEnd ??= nowMs());
          body.once('end', ended);
          body.once('close', ended);
        }
        callback(err, data);
      });
    };
    this.wrap(RecordStore.prototype, 'store', ['readRecord', 'writeRecord', 'writeLog'], true);
    this.wrap(RunControl.prototype, 'control', ['cancelRequestedAt', 'attemptErrors', 'clear', 'appendLiveLog'], true);
    this.wrap(Job.prototype, 'job', ['updateProgress'], true);
    // Only the worker completes jobs; BullMQ calls this from its own code, not the processor's.
    this.wrap(Job.prototype, 'job', ['moveToCompleted'], false);
  }

  /** Returns the spans recorded since the last take, oldest first, and forgets them. */
  take(): Span[] {
    const out = this.spans;
    this.spans = [];
    return out;
  }

  private wrap(proto: object, prefix: string, methods: string[], workerOnly: boolean): void {
    const tracer = this;
    const target = proto as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of methods) {
      const original = target[name];
      if (typeof original !== 'function') throw new Error(`bench trace: ${prefix}.${name} is gone; update bench/orchestration/trace.ts`);
      target[name] = function (this: unknown, ...args: unknown[]) {
        // The API calls some of the same methods (reads of records, cancel flags): keep the worker's.
        if (!tracer.enabled || (workerOnly && !calledFromWorker())) return original.apply(this, args);
        const span: Span = { what: `${prefix}.${name}`, start: nowMs(), end: Number.NaN };
        tracer.spans.push(span);
        return original.apply(this, args).finally(() => {
          span.end = nowMs();
        });
      };
    }
  }
}

function calledFromWorker(): boolean {
  const stack = new Error().stack ?? '';
  return /[\\/]apps[\\/]worker[\\/]src[\\/]/.test(stack);
}

/** `GET /containers/{id}/archive`, with the ids and image names taken out so calls group. */
function engineLabel(options: Modem.DialOptions): string {
  const path = (options.path ?? '').replace(/\?.*$/, '');
  const generic = path.replace(/^\/containers\/(?!create$)[^/]+/, '/containers/{id}').replace(/^\/images\/.+\/json$/, '/images/{image}/json');
  const opts = (options.options ?? {}) as Record<string, unknown>;
  const follow = opts.follow === true || opts.follow === 1 || opts.follow === '1' ? ' (follow)' : '';
  return `${options.method ?? 'GET'} ${generic}${follow}`;
}
