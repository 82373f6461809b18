import { z } from 'zod';

// Parsers for environment strings. Each one names what it expected, so a bad value reads plainly.

export const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');

export const positiveInt = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive');

export const nonNegativeInt = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must not be negative');

export const positiveNumber = z.coerce.number({ error: 'must be a number' }).positive('must be positive');

export const bool = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes'].includes(v));

export const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

export const logLevel = z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']);

export const logFormat = z.enum(['json', 'pretty']);

export const redisUrl = z
  .string()
  .refine((v) => {
    try {
      return ['redis:', 'rediss:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, 'must be a redis:// or rediss:// URL');

export const dockerHost = z
  .string()
  .refine((v) => /^(unix|tcp|http|https|ssh|npipe):\/\//.test(v), 'must be unix://, tcp://, http(s):// or ssh://');
