import { describe, expect, it } from 'vitest';
import { authorize, ownerDelta, type Permission, removalPermission } from '../../lib/environments/access.js';
import { HttpError } from '../../lib/errors.js';
import { ROLES, type Role } from '../../lib/store/items/member.js';

/** The whole role × permission matrix, as the API documents it. */
const ALLOWED: Record<Permission, Role[]> = {
  readSecrets: ['owner', 'editor', 'viewer'],
  readEnvironment: ['owner', 'editor', 'viewer'],
  injectSecrets: ['owner', 'editor', 'viewer'],
  leave: ['owner', 'editor', 'viewer'],
  writeSecrets: ['owner', 'editor'],
  revealSecrets: ['owner', 'editor'],
  compareSecrets: ['owner', 'editor'],
  purgeSecrets: ['owner'],
  manageMembers: ['owner'],
  manageEnvironment: ['owner'],
  manageTokens: ['owner'],
  readAudit: ['owner'],
};

function thrown(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('authorize', () => {
  const cases = (Object.entries(ALLOWED) as [Permission, Role[]][]).flatMap(([permission, allowed]) =>
    ROLES.map((role) => ({ permission, role, allowed: allowed.includes(role) })),
  );

  it.each(cases)('$role may $permission: $allowed', ({ permission, role, allowed }) => {
    if (allowed) {
      expect(authorize(role, permission)).toBe(role);
    } else {
      const error = thrown(() => authorize(role, permission));
      expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(error.hint).toContain('owner');
    }
  });

  it.each(Object.keys(ALLOWED) as Permission[])(
    'answers a non-member 404 ENVIRONMENT_NOT_FOUND for %s',
    (permission) => {
      expect(thrown(() => authorize(undefined, permission))).toMatchObject({
        status: 404,
        code: 'ENVIRONMENT_NOT_FOUND',
      });
    },
  );
});

describe('removalPermission', () => {
  it('treats removing oneself as leaving and anyone else as managing members', () => {
    expect(removalPermission('alice', 'alice')).toBe('leave');
    expect(removalPermission('alice', 'bob')).toBe('manageMembers');
  });
});

describe('ownerDelta', () => {
  it.each([
    [undefined, 'owner', 1],
    ['editor', 'owner', 1],
    ['viewer', 'owner', 1],
    ['owner', 'editor', -1],
    ['owner', 'viewer', -1],
    ['owner', undefined, -1],
    ['owner', 'owner', 0],
    ['editor', 'viewer', 0],
    [undefined, 'viewer', 0],
    ['viewer', undefined, 0],
  ] as [Role | undefined, Role | undefined, number][])('%s → %s moves the owner count by %i', (from, to, delta) => {
    expect(ownerDelta(from, to)).toBe(delta);
  });
});
