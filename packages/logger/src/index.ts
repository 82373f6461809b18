import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Which process is logging: `api`, `worker`. */
  service: string;
  /** winston level (default `info`). */
  level?: string;
  /** `json` lines for production, `pretty` for a terminal (default `json`). */
  format?: 'json' | 'pretty';
  /** Where lines go (default stdout); tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
  /** Drop every line: for tests that do not look at logs. */
  silent?: boolean;
}

const pretty = winston.format.printf(({ level, message, timestamp, service, ...fields }) => {
  const rest = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  return `${String(timestamp)} ${String(service)} ${level}: ${String(message)}${rest}`;
});

/** A message plus a fields object, never data interpolated into the message. */
export function createLogger(opts: LoggerOptions): Logger {
  const format =
    opts.format === 'pretty'
      ? winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.colorize(), pretty)
      : winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json());
  const transport = opts.stream ? new winston.transports.Stream({ stream: opts.stream }) : new winston.transports.Console();
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { service: opts.service },
    format,
    transports: [transport],
    silent: opts.silent ?? false,
  });
}

/** Error fields that are safe and useful in a log line. */
export function errorFields(err: unknown): { error: string; errorName?: string } {
  if (err instanceof Error) return { error: err.message, errorName: err.name };
  return { error: String(err) };
}
