import { type Attributes, type Context, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';

export { SpanKind, type Span } from '@opentelemetry/api';

/**
 * modelrun's spans. Through the OpenTelemetry API: while no SDK is started (startTracing, off by
 * default) every span here is the API's non-recording span and costs a function call.
 */
export const tracer = trace.getTracer('modelrun');

/** The attribute names modelrun's spans carry. */
export const ATTR = {
  runId: 'modelrun.run.id',
  model: 'modelrun.model.name',
  image: 'modelrun.image',
  benchmark: 'modelrun.benchmark',
  hostId: 'modelrun.host.id',
  attempt: 'modelrun.run.attempt',
  /** How the step or the run ended: queued, replayed, succeeded, failed, cancelled, retry, ... */
  outcome: 'modelrun.outcome',
  reason: 'modelrun.run.reason',
  containerId: 'modelrun.container.id',
  adopted: 'modelrun.container.adopted',
  exitCode: 'modelrun.container.exit_code',
  pulled: 'modelrun.image.pulled',
} as const;

export interface SpanOptions {
  kind?: SpanKind;
  /** The parent; the active context (e.g. BullMQ's job span in a processor) by default. */
  parent?: Context;
}

/**
 * Runs `fn` inside a span named `name`, the span active for everything `fn` awaits. A throw
 * marks the span an error (with the exception) and is rethrown; the span ends either way.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, opts: SpanOptions = {}): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, kind: opts.kind ?? SpanKind.INTERNAL }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** A span that ends by hand (a step that ends inside a callback): child of `parent`, else of the active span. */
export function startSpan(name: string, attributes: Attributes, parent?: Span): Span {
  return tracer.startSpan(name, { attributes }, parent ? trace.setSpan(context.active(), parent) : context.active());
}

/** Ends a span started by hand unless it has ended already. */
export function endSpan(span: Span): void {
  if (span.isRecording()) span.end();
}

/** Marks a span an error, with the exception. */
export function failed(span: Span, err: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Adds attributes to the active span (a BullMQ job's span in a processor), if any. */
export function annotate(attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.setAttributes(attributes);
}

/** The context a request's `traceparent` header continues (the active one when it has none). */
export function fromHeaders(headers: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(context.active(), headers);
}
