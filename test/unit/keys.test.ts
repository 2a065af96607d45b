import { describe, expect, it } from 'vitest';
import { keys, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { decodeCursor, encodeCursor } from '../../lib/store/cursor.js';
import { ValidationError } from '../../lib/http/errors.js';

describe('key builders', () => {
  it('put every record of a user under that user', () => {
    const tenant = userTenant('alice');
    expect(tenant).toBe('USER#alice');
    for (const key of [keys.tenantMeta(tenant), keys.dataKey(tenant, 3), keys.userSecret(tenant, 'id'), keys.userSecretName(tenant, 'N'), keys.audit(tenant, 'E')]) {
      expect(key.PK).toBe(tenant);
    }
  });

  it('zero-pad data key versions so they sort numerically', () => {
    const sks = [10, 2, 1].map((v) => keys.dataKey('T', v).SK).sort();
    expect(sks).toEqual(['DATAKEY#000001', 'DATAKEY#000002', 'DATAKEY#000010']);
  });

  it('keep each record kind under its own prefix', () => {
    expect(keys.userSecret('T', 'abc').SK).toBe(`${SK_PREFIX.secret}abc`);
    expect(keys.userSecretName('T', 'OPENAI_API_KEY').SK).toBe(`${SK_PREFIX.userSecretName}OPENAI_API_KEY`);
    expect(keys.audit('T', '01J').SK.startsWith(SK_PREFIX.audit)).toBe(true);
    const prefixes = Object.values(SK_PREFIX);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});

describe('list cursors', () => {
  it('round-trip the sort key to resume after', () => {
    expect(decodeCursor(encodeCursor('NAME#B'), 'NAME#')).toBe('NAME#B');
    expect(decodeCursor(undefined, 'NAME#')).toBeUndefined();
  });

  it('reject garbage and cursors of another list as a validation error at query.cursor', () => {
    for (const bad of ['garbage', encodeCursor('SECRET#x'), Buffer.from('{"after":1}').toString('base64url')]) {
      try {
        decodeCursor(bad, 'NAME#');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]!.loc).toEqual(['query', 'cursor']);
      }
    }
  });
});
