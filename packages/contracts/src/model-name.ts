import { z } from 'zod';

/**
 * Model names become folder names on the shared volume, so the alphabet is closed:
 * lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit (which rules out
 * `.` and `..`), 1 to 63 characters.
 */
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const ModelName = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(MODEL_NAME_PATTERN, 'must be 1-63 of a-z 0-9 . _ - and start with a letter or digit');
