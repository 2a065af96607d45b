import { PreconditionFailedError } from './errors.js';

/** The record versions a caller's `If-Match` allows: a list, `'any'` for `*`, `undefined` for none. */
export type Precondition = number[] | 'any' | undefined;

/** Answers 412 when the record's current version is not one the caller's `If-Match` allows. */
export function checkPrecondition(precondition: Precondition, version: number): void {
  if (Array.isArray(precondition) && !precondition.includes(version)) throw new PreconditionFailedError();
}
