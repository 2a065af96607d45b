import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/http/errors.js';
import { parseInput } from '../../lib/http/validation.js';
import { isReservedName } from '../../lib/secrets/names.js';
import { CreateUserSecretBody, ListUserSecretsQuery, SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';

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
    expect(parseInput(CreateUserSecretBody, { name: 'A_1', value: 'v' }, 'body')).toEqual({ name: 'A_1', provider: 'custom', value: 'v' });
  });

  it('locates each problem and types it like the v1 API documents', () => {
    const issues = issuesOf(() => parseInput(CreateUserSecretBody, { name: 5, provider: 'Bad Slug', extra: 1 }, 'body'));
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
    expect(issuesOf(() => parseInput(CreateUserSecretBody, { name: 'N', value: tooBig }, 'body'))[0]!.loc).toEqual(['body', 'value']);
  });

  it('accepts ids in either case and emits them lower-case', () => {
    expect(parseInput(SecretIdPath, { id: '2489E9AD-2EE2-8E00-8EC9-32D5F69181C0' }, 'path')).toEqual({ id: '2489e9ad-2ee2-8e00-8ec9-32d5f69181c0' });
    expect(issuesOf(() => parseInput(SecretIdPath, { id: 'nope' }, 'path'))[0]).toMatchObject({ loc: ['path', 'id'], type: 'uuid_parsing' });
  });

  it('coerces and bounds the list limit', () => {
    expect(parseInput(ListUserSecretsQuery, {}, 'query')).toEqual({ limit: 50 });
    expect(parseInput(ListUserSecretsQuery, { limit: '100' }, 'query').limit).toBe(100);
    expect(issuesOf(() => parseInput(ListUserSecretsQuery, { limit: '1.5' }, 'query'))[0]!.loc).toEqual(['query', 'limit']);
  });

  it('reserves names that would hijack a runtime, in any case', () => {
    for (const name of ['PATH', 'path', 'LD_PRELOAD', 'ld_library_path', 'DYLD_X', 'AWS_LAMBDA_RUNTIME_API', 'IFS', 'PYTHONSTARTUP']) {
      expect(isReservedName(name)).toBe(true);
    }
    for (const name of ['PATHNAME', 'OPENAI_API_KEY', 'HOMEBREW_TOKEN', 'MY_LD_FLAG']) expect(isReservedName(name)).toBe(false);
  });
});
