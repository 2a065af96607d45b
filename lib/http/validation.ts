import type * as z from 'zod/mini';
import { type FieldIssue, type HttpErrorOptions, ValidationError } from '../errors.js';

export type Schema<T> = z.ZodMiniType<T>;
export type InputLocation = 'body' | 'query' | 'path' | 'header';

/** Parses caller input; every problem becomes a located issue (`loc: ["body", "name"]`). */
export function parseInput<T>(
  schema: Schema<T>,
  input: unknown,
  location: InputLocation,
  options?: HttpErrorOptions,
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.flatMap((issue) => toFieldIssues(issue, input, location)),
    options,
  );
}

type Issue = z.core.$ZodIssue;

function toFieldIssues(issue: Issue, input: unknown, location: InputLocation): FieldIssue[] {
  // Stryker disable next-line all: equivalent, a path into parsed JSON never holds a symbol; the conversion is for the type
  const loc = [location, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : echoed(p)))];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      loc: [...loc, echoed(key)],
      msg: 'Extra inputs are not permitted',
      type: 'extra_forbidden',
    }));
  }
  return [{ loc, ...describe(issue, valueAt(input, issue.path)) }];
}

/**
 * A key of the caller's input, as the answer repeats it: a lone surrogate (`"\ud800"` in the
 * JSON sent) becomes U+FFFD, so the answer is valid Unicode that any client can decode.
 */
function echoed<T>(segment: T): T | string {
  return typeof segment === 'string' ? segment.replace(/\p{Surrogate}/gu, '\ufffd') : segment;
}

/** zod/mini does not report the offending input, so "missing" is told from the input itself. */
function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const segment of path)
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
  return value;
}

/** Messages and types in the style callers of the v1 API already know (`missing`, `string_type`…). */
function describe(issue: Issue, value: unknown): { msg: string; type: string } {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? { msg: 'Field required', type: 'missing' }
        : { msg: `Input should be a valid ${issue.expected}`, type: `${issue.expected}_type` };
    case 'too_small':
      return issue.origin === 'string'
        ? {
            msg: customOr(issue.message, `String should have at least ${issue.minimum} characters`),
            type: 'string_too_short',
          }
        : { msg: `Input should be greater than or equal to ${issue.minimum}`, type: 'greater_than_equal' };
    case 'too_big':
      return issue.origin === 'string'
        ? {
            msg: customOr(issue.message, `String should have at most ${issue.maximum} characters`),
            type: 'string_too_long',
          }
        : { msg: `Input should be less than or equal to ${issue.maximum}`, type: 'less_than_equal' };
    case 'invalid_format':
      if (issue.format === 'guid') return { msg: 'Input should be a valid UUID', type: 'uuid_parsing' };
      return {
        msg: customOr(issue.message, 'String does not match the expected format'),
        type: 'string_pattern_mismatch',
      };
    case 'invalid_value':
      return { msg: `Input should be ${issue.values.map((v) => `'${String(v)}'`).join(' or ')}`, type: 'enum' };
    default:
      return { msg: customOr(issue.message, 'Invalid value'), type: 'value_error' };
  }
}

/** zod/mini ships no locale, so its own message is the bare "Invalid input"; ours are better. */
function customOr(message: string | undefined, fallback: string): string {
  return message && message !== 'Invalid input' ? message : fallback;
}
