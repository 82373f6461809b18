import type { AppliedLimits, ErrorDetail } from '@modelrun/contracts';

/**
 * MODEL_NAME_PATTERN of the contracts, which the app does not import: that module brings zod
 * into the bundle. The API checks the name again with the contract's own.
 */
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

interface LimitField {
  key: keyof AppliedLimits;
  label: string;
  unit: string;
  step: string;
  min: number;
  whole: boolean;
}

/** The limit fields, with the contract's lower bounds (RequestedLimits). */
export const LIMITS: readonly LimitField[] = [
  { key: 'timeoutSeconds', label: 'Time limit', unit: 's', step: '1', min: 1, whole: true },
  { key: 'memoryMb', label: 'Memory', unit: 'MiB', step: '1', min: 16, whole: true },
  { key: 'cpus', label: 'CPUs', unit: '', step: '0.01', min: 0.01, whole: false },
  { key: 'gpus', label: 'GPUs', unit: '', step: '1', min: 0, whole: true },
];

/** The form's fields by the API's paths, in the form's own words. */
export const FIELD_WORDS: Record<string, string> = {
  image: 'Image',
  name: 'Model name',
  benchmark: 'Benchmark',
  limits: 'Limits',
  ...Object.fromEntries(LIMITS.map((l) => [`limits.${l.key}`, l.label])),
};

export interface FormInput {
  image: string;
  name: string;
  benchmark: string;
  /** Each limit field as typed ('' when blank). */
  limits: Partial<Record<keyof AppliedLimits, string>>;
}

/** Problems by field: the form shows each beside its field, all at once. */
export type FieldErrors = Record<string, string>;

const withUnit = (n: number, unit: string) => `${n}${unit ? ` ${unit}` : ''}`;

/**
 * Every problem the form can see before asking the API (which checks again, and names the rest):
 * each in the form's words, keyed by the API's path for the field.
 */
export function checkForm(input: FormInput, ceilings: AppliedLimits | undefined): FieldErrors {
  const errors: FieldErrors = {};
  if (!input.image) errors.image = 'Give the image to run, with its tag or digest.';
  else if (/\s/.test(input.image)) errors.image = 'An image reference has no spaces.';
  if (!input.name) errors.name = 'Give the model a name: its runs are kept under it.';
  else if (!MODEL_NAME.test(input.name)) errors.name = 'Use 1-63 of a-z 0-9 . _ -, starting with a letter or digit.';
  if (input.benchmark) return errors;
  for (const l of LIMITS) {
    const raw = (input.limits[l.key] ?? '').trim();
    if (raw === '') continue;
    const v = Number(raw);
    const path = `limits.${l.key}`;
    if (!Number.isFinite(v)) errors[path] = `${l.label} must be a number.`;
    else if (l.whole && !Number.isInteger(v)) errors[path] = `${l.label} must be a whole number${l.unit ? ` of ${l.unit}` : ''}.`;
    else if (v < l.min) errors[path] = `${l.label} must be at least ${withUnit(l.min, l.unit)}.`;
    else if (ceilings && v > ceilings[l.key])
      errors[path] = ceilings[l.key] === 0 && l.key === 'gpus' ? 'This deployment has no GPUs.' : `${l.label} can be at most ${withUnit(ceilings[l.key], l.unit)} here.`;
  }
  return errors;
}

/** The API's problems by field, in the form's words; what fits no field is returned apart. */
export function fieldErrorsOf(details: readonly ErrorDetail[]): { fields: FieldErrors; rest: string[] } {
  const fields: FieldErrors = {};
  const rest: string[] = [];
  for (const d of details) {
    const words = FIELD_WORDS[d.path];
    if (!words) rest.push(d.path ? `${d.path}: ${d.message}` : d.message);
    else fields[d.path] = fields[d.path] ? `${fields[d.path]} ${words}: ${d.message}.` : `${words}: ${d.message}.`;
  }
  return { fields, rest };
}
