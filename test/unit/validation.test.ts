import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { CreateEnvironmentBody, PutMemberBody } from '../../lib/environments/environment-requests.js';
import { UpdateSecretBody } from '../../lib/environments/secret-requests.js';
import { ValidationError } from '../../lib/errors.js';
import { toHttpError } from '../../lib/http/upstream-errors.js';
import { parseInput } from '../../lib/http/validation.js';
import { isReservedName } from '../../lib/secrets/names.js';
import { CreateUserSecretBody, ListUserSecretsQuery, SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { storedLineage, ValueLineage } from '../../lib/store/items/secret-version.js';
import { CorruptRecordError, parseRecord } from '../../lib/store/records.js';
import { loggedDuring } from '../support/logs.js';

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('request validation', () => {
  it('defaults the provider and accepts a valid body', () => {
    expect(parseInput(CreateUserSecretBody, { name: 'A_1', value: 'v' }, 'body')).toEqual({
      name: 'A_1',
      provider: 'custom',
      value: 'v',
    });
  });

  it('locates each problem and types it like the v1 API documents', () => {
    const issues = issuesOf(() =>
      parseInput(CreateUserSecretBody, { name: 5, provider: 'Bad Slug', extra: 1 }, 'body'),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { loc: ['body', 'name'], msg: 'Input should be a valid string', type: 'string_type' },
        { loc: ['body', 'value'], msg: 'Field required', type: 'missing' },
        { loc: ['body', 'extra'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
        expect.objectContaining({ loc: ['body', 'provider'], type: 'string_pattern_mismatch' }),
      ]),
    );
  });

  it('bounds values by UTF-8 bytes, not characters', () => {
    const fits = '€'.repeat(Math.floor((64 * 1024) / 3));
    expect(parseInput(CreateUserSecretBody, { name: 'N', value: fits }, 'body').value).toBe(fits);
    const tooBig = '€'.repeat(Math.floor((64 * 1024) / 3) + 1);
    expect(issuesOf(() => parseInput(CreateUserSecretBody, { name: 'N', value: tooBig }, 'body'))[0]!.loc).toEqual([
      'body',
      'value',
    ]);
  });

  it('accepts ids in either case and emits them lower-case', () => {
    expect(parseInput(SecretIdPath, { id: '2489E9AD-2EE2-8E00-8EC9-32D5F69181C0' }, 'path')).toEqual({
      id: '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0',
    });
    expect(issuesOf(() => parseInput(SecretIdPath, { id: 'nope' }, 'path'))[0]).toEqual({
      loc: ['path', 'id'],
      msg: 'Input should be a valid UUID',
      type: 'uuid_parsing',
    });
  });

  it('coerces and bounds the list limit', () => {
    expect(parseInput(ListUserSecretsQuery, {}, 'query')).toEqual({ limit: 50 });
    expect(parseInput(ListUserSecretsQuery, { limit: '100' }, 'query').limit).toBe(100);
    expect(issuesOf(() => parseInput(ListUserSecretsQuery, { limit: '1.5' }, 'query'))[0]!.loc).toEqual([
      'query',
      'limit',
    ]);
  });

  it('reserves names that would hijack a runtime, in any case', () => {
    for (const name of [
      'PATH',
      'path',
      'LD_PRELOAD',
      'ld_library_path',
      'DYLD_X',
      'AWS_LAMBDA_RUNTIME_API',
      'IFS',
      'PYTHONSTARTUP',
    ]) {
      expect(isReservedName(name)).toBe(true);
    }
    for (const name of ['PATHNAME', 'OPENAI_API_KEY', 'HOMEBREW_TOKEN', 'MY_LD_FLAG'])
      expect(isReservedName(name)).toBe(false);
  });
});

describe('validation messages', () => {
  const only = (schema: Parameters<typeof parseInput>[0], input: unknown) =>
    issuesOf(() => parseInput(schema, input, 'body'))[0];

  it('describe length and range problems of strings and numbers', () => {
    expect(only(CreateEnvironmentBody, { name: '   ' })).toEqual({
      loc: ['body', 'name'],
      msg: 'String should have at least 1 characters',
      type: 'string_too_short',
    });
    expect(only(CreateEnvironmentBody, { name: 'n'.repeat(101) })).toEqual({
      loc: ['body', 'name'],
      msg: 'String should have at most 100 characters',
      type: 'string_too_long',
    });
    expect(issuesOf(() => parseInput(ListUserSecretsQuery, { limit: '0' }, 'query'))[0]).toEqual({
      loc: ['query', 'limit'],
      msg: 'Input should be greater than or equal to 1',
      type: 'greater_than_equal',
    });
    expect(issuesOf(() => parseInput(ListUserSecretsQuery, { limit: '101' }, 'query'))[0]).toEqual({
      loc: ['query', 'limit'],
      msg: 'Input should be less than or equal to 100',
      type: 'less_than_equal',
    });
  });

  it('describe formats, choices and refinements, keeping the schema’s own words', () => {
    expect(only(CreateEnvironmentBody, { name: 'a\u0007b' })).toEqual({
      loc: ['body', 'name'],
      msg: 'Name must not contain control characters',
      type: 'string_pattern_mismatch',
    });
    expect(only(PutMemberBody, { role: 'admin' })).toEqual({
      loc: ['body', 'role'],
      msg: "Input should be 'owner' or 'editor' or 'viewer'",
      type: 'enum',
    });
    expect(only(UpdateSecretBody, {})).toEqual({
      loc: ['body'],
      msg: 'Send at least one of value, description or neverReveal',
      type: 'value_error',
    });
    expect(only(CreateUserSecretBody, { name: 'PATH', value: 'v' })).toMatchObject({
      loc: ['body', 'name'],
      type: 'value_error',
      msg: expect.stringMatching(/reserved/),
    });
    expect(only(CreateUserSecretBody, { name: 'A', value: 7 })).toEqual({
      loc: ['body', 'value'],
      msg: 'Input should be a valid string',
      type: 'string_type',
    });
    expect(only(CreateUserSecretBody, null)).toEqual({
      loc: ['body'],
      msg: 'Input should be a valid object',
      type: 'object_type',
    });
  });

  it('locate nested problems through the input, missing where the input has nothing', () => {
    const nested = z.strictObject({ outer: z.strictObject({ inner: z.string() }) });
    expect(only(nested, { outer: {} })).toEqual({
      loc: ['body', 'outer', 'inner'],
      msg: 'Field required',
      type: 'missing',
    });
    expect(only(nested, { outer: { inner: 1 } })).toEqual({
      loc: ['body', 'outer', 'inner'],
      msg: 'Input should be a valid string',
      type: 'string_type',
    });
    expect(only(nested, { outer: 'flat' })).toMatchObject({ loc: ['body', 'outer'], type: 'object_type' });
    const below = z
      .object({ parent: z.optional(z.nullable(z.object({}))) })
      .check(z.refine(() => false, { path: ['parent', 'child'], error: 'Needs a child' }));
    for (const parent of [null, undefined]) {
      expect(only(below, { parent })).toEqual({
        loc: ['body', 'parent', 'child'],
        msg: 'Needs a child',
        type: 'value_error',
      });
    }
  });

  it('fall back to a message of their own where zod has only its generic one', () => {
    expect(only(z.string().check(z.regex(/^a$/)), 'b')).toEqual({
      loc: ['body'],
      msg: 'String does not match the expected format',
      type: 'string_pattern_mismatch',
    });
    expect(only(z.string().check(z.refine(() => false)), 'b')).toEqual({
      loc: ['body'],
      msg: 'Invalid value',
      type: 'value_error',
    });
  });

  it('carry the options of the error they raise', () => {
    try {
      parseInput(PutMemberBody, {}, 'body', { hint: 'Send a role.' });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).hint).toBe('Send a role.');
    }
  });
});

describe('stored records', () => {
  it('are returned as parsed when they match', () => {
    expect(parseRecord(z.object({ n: z.coerce.number() }), { n: '2' }, 'test')).toEqual({ n: 2 });
  });

  it('that do not match are a bare 500, logged by field path and never by value', async () => {
    const schema = z.object({ masked_value: z.number(), meta: z.object({ by: z.string() }) });
    let thrown: unknown;
    const { lines, text } = await loggedDuring(() => {
      try {
        parseRecord(schema, { masked_value: 'sk-stored-secret', meta: { by: 7 } }, 'user-secret');
      } catch (error) {
        thrown = error;
      }
    });
    expect(thrown).toBeInstanceOf(CorruptRecordError);
    expect(thrown).toMatchObject({
      name: 'CorruptRecordError',
      recordType: 'user-secret',
      message: 'Stored user-secret record failed validation',
    });
    expect(toHttpError(thrown)).toMatchObject({ status: 500, detail: 'Internal server error' });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'stored record failed validation',
        recordType: 'user-secret',
        fields: ['masked_value', 'meta.by'],
      }),
    ]);
    expect(text).not.toContain('sk-stored-secret');
  });

  describe('a secret’s kept versions', () => {
    const Lineage = z.object(ValueLineage);
    const lineage = { value_version: 9, value_at: '2026-01-02T03:04:05.000Z', value_by: 'alice' };
    const history = [
      { version: 3, slot: 0 },
      { version: 7, slot: 12 },
    ];

    it('are stored as one string of version.slot pairs, oldest first, and read back as written', () => {
      const stored = storedLineage({ ...lineage, history });
      expect(stored).toEqual({ ...lineage, history: '3.0 7.12' });
      expect(parseRecord(Lineage, stored, 'test')).toEqual({ ...lineage, history });
      expect(parseRecord(Lineage, storedLineage({ ...lineage, history: [] }), 'test')).toEqual({
        ...lineage,
        history: [],
      });
    });

    it('leave a write that does not set them as it is', () => {
      expect(storedLineage({ description: 'd' })).toEqual({ description: 'd' });
    });

    it.each(['3', '3.0 ', '3.0  4.1', '0.1', '3.x', 'a.b', '3.0,4.1', '-3.0'])('refuse a stored %j', (stored) => {
      expect(() => parseRecord(Lineage, { ...lineage, history: stored }, 'test')).toThrow(CorruptRecordError);
    });
  });
});
