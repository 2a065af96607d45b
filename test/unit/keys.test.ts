import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../lib/store/cursor.js';
import {
  dataKeyIndex,
  environmentTenant,
  indexKeys,
  itemKeys,
  prefixEnd,
  SK_META,
  SK_PREFIX,
  sealedRecordId,
  TENANT_PATTERN,
  userTenant,
} from '../../lib/store/keys.js';

describe('key builders', () => {
  it('put every record of a user under that user', () => {
    const tenant = userTenant('alice');
    expect(tenant).toBe('USER#alice');
    for (const key of [
      itemKeys.tenantMeta(tenant),
      itemKeys.dataKey(tenant, 3),
      itemKeys.userSecret(tenant, 'id'),
      itemKeys.userSecretName(tenant, 'N'),
      itemKeys.audit(tenant, 'E'),
    ]) {
      expect(key.PK).toBe(tenant);
    }
  });

  it('zero-pad data key versions so they sort numerically', () => {
    const sks = [10, 2, 1].map((v) => itemKeys.dataKey('T', v).SK).sort();
    expect(sks).toEqual(['DATAKEY#000001', 'DATAKEY#000002', 'DATAKEY#000010']);
  });

  it('keep each record kind under its own prefix', () => {
    expect(itemKeys.userSecret('T', 'abc').SK).toBe(`${SK_PREFIX.secret}abc`);
    expect(itemKeys.userSecretName('T', 'OPENAI_API_KEY').SK).toBe(`${SK_PREFIX.userSecretName}OPENAI_API_KEY`);
    expect(itemKeys.audit('T', '01J').SK.startsWith(SK_PREFIX.audit)).toBe(true);
    const prefixes = Object.values(SK_PREFIX);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('reads the AAD record id of every item holding a sealed value from where it sits', () => {
    expect(sealedRecordId(itemKeys.userSecret('USER#a', 'id-1').SK)).toBe('id-1');
    expect(sealedRecordId(itemKeys.trashedSecret('USER#a', 'id-1').SK)).toBe('id-1');
    expect(sealedRecordId(itemKeys.secretVersion('ENV#e', 'API_KEY', 12).SK)).toBe('API_KEY');
    expect(() => sealedRecordId(itemKeys.member('ENV#e', 'bob').SK)).toThrow();
  });

  it('keeps versions and the trash out of the ranges lists and inject read', () => {
    for (const sk of [
      itemKeys.secretVersion('T', 'A', 1).SK,
      itemKeys.trashedSecret('T', 'A').SK,
      itemKeys.trashedName('T', 'A').SK,
    ]) {
      expect(sk.startsWith(SK_PREFIX.secret)).toBe(false);
      expect(sk > prefixEnd(SK_PREFIX.secret) || sk < SK_META).toBe(true);
    }
  });
});

describe('the table layout', () => {
  // Stored items carry these strings: changing one orphans every item written before.
  it('spells every key exactly as items already stored spell it', () => {
    expect(itemKeys.tenantMeta('USER#a')).toEqual({ PK: 'USER#a', SK: 'META' });
    expect(SK_META).toBe('META');
    expect(itemKeys.dataKey('USER#a', 7)).toEqual({ PK: 'USER#a', SK: 'DATAKEY#000007' });
    expect(itemKeys.userSecret('USER#a', 'id-1')).toEqual({ PK: 'USER#a', SK: 'SECRET#id-1' });
    expect(itemKeys.userSecretName('USER#a', 'TOKEN')).toEqual({ PK: 'USER#a', SK: 'NAME#TOKEN' });
    expect(itemKeys.environmentSecret('ENV#e', 'API_KEY')).toEqual({ PK: 'ENV#e', SK: 'SECRET#API_KEY' });
    expect(itemKeys.member('ENV#e', 'bob')).toEqual({ PK: 'ENV#e', SK: 'MEMBER#bob' });
    expect(itemKeys.audit('ENV#e', '01J')).toEqual({ PK: 'ENV#e', SK: 'AUDIT#01J' });
    expect(itemKeys.serviceToken('ENV#e', 't-1')).toEqual({ PK: 'ENV#e', SK: 'TOKEN#t-1' });
    expect(itemKeys.serviceTokenLookup('ab12')).toEqual({ PK: 'SERVICETOKEN#ab12', SK: 'META' });
    expect(itemKeys.secretVersion('ENV#e', 'API_KEY', 7)).toEqual({ PK: 'ENV#e', SK: 'VERSION#API_KEY#000007' });
    expect(itemKeys.trashedSecret('USER#a', 'id-1')).toEqual({ PK: 'USER#a', SK: 'TRASH#id-1' });
    expect(itemKeys.trashedName('USER#a', 'TOKEN')).toEqual({ PK: 'USER#a', SK: 'TRASHNAME#TOKEN' });
    expect(SK_PREFIX).toEqual({
      secretVersion: 'VERSION#',
      trashedSecret: 'TRASH#',
      trashedName: 'TRASHNAME#',
      dataKey: 'DATAKEY#',
      secret: 'SECRET#',
      serviceToken: 'TOKEN#',
      userSecretName: 'NAME#',
      member: 'MEMBER#',
      audit: 'AUDIT#',
    });
  });

  it('names tenants USER#<sub> and ENV#<id>, and only those are tenants', () => {
    expect(userTenant('alice')).toBe('USER#alice');
    expect(environmentTenant('e-1')).toBe('ENV#e-1');
    for (const tenant of ['USER#alice', 'ENV#e-1']) expect(TENANT_PATTERN.test(tenant)).toBe(true);
    for (const other of ['USER#', 'ENV#', 'TEAM#x', 'xUSER#a', 'user#a', 'USER#a\nb'])
      expect(TENANT_PATTERN.test(other), other).toBe(false);
  });

  it('keys memberships and active data keys in GSI1', () => {
    expect(indexKeys.membership('bob', 'ENV#e')).toEqual({ GSI1PK: 'USER#bob', GSI1SK: 'ENV#e' });
    expect(dataKeyIndex.partition('retiring')).toBe('DATAKEYS#retiring');
    expect(dataKeyIndex.entry('active', '2026-01-01T00:00:00.000Z', 'USER#a')).toEqual({
      GSI1PK: 'DATAKEYS#active',
      GSI1SK: '2026-01-01T00:00:00.000Z#USER#a',
    });
  });

  it('bounds a prefix range just past every key that starts with it', () => {
    expect(prefixEnd('NAME#')).toBe('NAME$');
    for (const sk of ['NAME#', 'NAME#A', 'NAME#zzzz', 'NAME#~']) expect(sk < prefixEnd('NAME#')).toBe(true);
    expect('NAMEX' < prefixEnd('NAME#')).toBe(false);
    expect(SK_META < 'NAME#').toBe(true);
  });
});

describe('list cursors', () => {
  it('round-trip the sort key to resume after', () => {
    expect(decodeCursor(encodeCursor('NAME#B'), 'NAME#')).toBe('NAME#B');
    expect(decodeCursor(undefined, 'NAME#')).toBeUndefined();
  });

  it('reject garbage and cursors of another list', () => {
    const other = (json: string) => Buffer.from(json).toString('base64url');
    for (const bad of [
      'garbage',
      encodeCursor('SECRET#x'),
      other('{"after":1}'),
      other('{}'),
      other('null'),
      other('{"after":"xNAME#"}'),
    ]) {
      try {
        decodeCursor(bad, 'NAME#');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidCursorError);
        expect(error).toMatchObject({ name: 'InvalidCursorError', message: 'Cursor is not valid for this list' });
      }
    }
  });
});
