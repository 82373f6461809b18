import type { z } from 'zod';
import { badRequest } from './errors';

/** Parses untrusted input; a failure is a 400 naming the field and what was wrong with it. */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown, what = 'body'): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const messages = parsed.error.issues.slice(0, 5).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? ` in ${issue.path.join('.')}` : '';
      return `unknown field${issue.keys.length > 1 ? 's' : ''}${where}: ${issue.keys.join(', ')}`;
    }
    if (issue.code === 'invalid_type' && issue.path.length === 0) return `the ${what} must be a JSON object`;
    const field = issue.path.join('.') || what;
    return `${field}: ${issue.message}`;
  });
  throw badRequest(messages.join('; '));
}
