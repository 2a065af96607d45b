import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../lib/errors.js';
import { checkPrecondition } from '../../lib/precondition.js';

describe('checkPrecondition', () => {
  it('lets a write through with no If-Match, with *, or when the version is one of those listed', () => {
    expect(() => checkPrecondition(undefined, 3)).not.toThrow();
    expect(() => checkPrecondition('any', 3)).not.toThrow();
    expect(() => checkPrecondition([1, 3], 3)).not.toThrow();
  });

  it('answers 412 when the record has moved on from every listed version', () => {
    expect(() => checkPrecondition([1, 2], 3)).toThrow(PreconditionFailedError);
    expect(() => checkPrecondition([], 1)).toThrow(PreconditionFailedError);
  });
});
