import type { ErrorDetail } from '@modelrun/contracts';
import type { z } from 'zod';
import { badRequest } from './errors';

/** Problems listed in `details`: every one a form could show (a body has a few dozen fields at most). */
const MAX_DETAILS = 50;
/** Problems named in `message`, which is read by people and logged. */
const MAX_IN_MESSAGE = 5;

/**
 * Parses untrusted input; a failure is a 400 naming the field and what was wrong with it: the
 * first few in `message`, every one in `details` (each with its field), so a client can show
 * them all at once rather than one per try.
 */
export function parseOr400<T extends z.ZodType>(schema: T, input: unknown, what = 'body'): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // Each problem as a detail (its field, what is wrong) and as the message's words for it.
  const problems = parsed.error.issues.slice(0, MAX_DETAILS).map((issue): { detail: ErrorDetail; text: string } => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      const text = `unknown field${issue.keys.length > 1 ? 's' : ''}${path ? ` in ${path}` : ''}: ${issue.keys.join(', ')}`;
      return { detail: { path, message: text }, text };
    }
    if (issue.code === 'invalid_type' && issue.path.length === 0) {
      const text = `the ${what} must be a JSON object`;
      return { detail: { path, message: text }, text };
    }
    return { detail: { path, message: issue.message }, text: `${path || what}: ${issue.message}` };
  });
  const message = problems
    .slice(0, MAX_IN_MESSAGE)
    .map((p) => p.text)
    .join('; ');
  throw badRequest(
    message,
    problems.map((p) => p.detail),
  );
}
