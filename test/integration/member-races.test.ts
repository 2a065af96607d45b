import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeDeps } from '../../lib/app/process-deps.js';
import { createEnvironment } from '../../lib/environments/environments.js';
import { putMember, removeMember } from '../../lib/environments/members.js';
import { HttpError } from '../../lib/errors.js';
import type { Role } from '../../lib/store/items/member.js';
import { environmentTenant, itemKeys, SK_PREFIX } from '../../lib/store/keys.js';
import { aroundDynamoDbCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * Concurrent membership changes of one member. Every writer first reads the member; holding
 * those reads until all writers have made theirs makes each race happen on every run, so the
 * conditions that keep the owner count exact are what decides it.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

const OWNER = 'race-owner';
const MEMBER = 'race-member';
const WRITERS = 6;

/** Holds the first `count` reads of `userId`'s member item until all of them have returned. */
function holdMemberReads(userId: string, count: number) {
  let seen = 0;
  let release!: () => void;
  const allRead = new Promise<void>((resolve) => (release = resolve));
  aroundDynamoDbCalls(async (command, send) => {
    const held =
      command instanceof GetCommand && command.input.Key?.SK === `${SK_PREFIX.member}${userId}` && seen < count;
    const answer = await send();
    if (held) {
      if (++seen === count) release();
      await allRead;
    }
    return answer;
  });
}

async function environmentWith(role?: Role): Promise<string> {
  const { id } = await createEnvironment(storeDeps(), {
    requestId: 'req_test',
    sub: OWNER,
    environment: { name: 'races', description: '' },
  });
  if (role)
    await putMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: MEMBER, role: role });
  return id;
}

async function ownerCount(id: string): Promise<number> {
  const { Item } = await storeDeps().ddb.send(
    new GetCommand({ TableName: stack.tableName, Key: itemKeys.tenantMeta(environmentTenant(id)) }),
  );
  return Item!.owners;
}

async function owners(id: string): Promise<string[]> {
  const members = await stack.items(environmentTenant(id), SK_PREFIX.member);
  return members
    .filter((item) => item.role === 'owner')
    .map((item) => item.user_id)
    .sort();
}

const statusOf = (settled: PromiseSettledResult<unknown>) =>
  settled.status === 'fulfilled' ? 200 : settled.reason instanceof HttpError ? settled.reason.status : 500;

describe('membership writes', () => {
  it('leave an unchanged role untouched, keeping who set it and when', async () => {
    const id = await environmentWith('editor');
    await putMember(storeDeps(), {
      requestId: 'req_test',
      sub: OWNER,
      environmentId: id,
      userId: 'second-owner',
      role: 'owner',
    });
    const again = await putMember(storeDeps(), {
      requestId: 'req_test',
      sub: 'second-owner',
      environmentId: id,
      userId: MEMBER,
      role: 'editor',
    });
    expect(again).toMatchObject({ role: 'editor', updatedBy: OWNER });
  });

  it('answer 404 when the environment header is gone', async () => {
    const id = await environmentWith();
    await storeDeps().ddb.send(
      new DeleteCommand({ TableName: stack.tableName, Key: itemKeys.tenantMeta(environmentTenant(id)) }),
    );
    await expect(
      putMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: MEMBER, role: 'viewer' }),
    ).rejects.toMatchObject({ status: 404, code: 'ENVIRONMENT_NOT_FOUND' });
  });
});

describe('concurrent membership changes', () => {
  it('counts one new owner once when the same member is added as owner by many requests at once', async () => {
    const id = await environmentWith();
    holdMemberReads(MEMBER, WRITERS);
    const results = await Promise.all(
      Array.from({ length: WRITERS }, () =>
        putMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: MEMBER, role: 'owner' }),
      ),
    );
    vi.restoreAllMocks();
    expect(results.map((member) => member.role)).toEqual(Array(WRITERS).fill('owner'));
    expect(await owners(id)).toEqual([MEMBER, OWNER].sort());
    expect(await ownerCount(id)).toBe(2);
    // The count is what stops the last owner leaving: with one owner gone, the other must stay.
    await removeMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: OWNER });
    await expect(
      removeMember(storeDeps(), { requestId: 'req_test', sub: MEMBER, environmentId: id, userId: MEMBER }),
    ).rejects.toMatchObject({
      status: 409,
    });
  });

  it('keeps the owner count exact when promotions and demotions of one member race', async () => {
    const id = await environmentWith('editor');
    holdMemberReads(MEMBER, WRITERS);
    const roles: Role[] = Array.from({ length: WRITERS }, (_, i) => (i % 2 === 0 ? 'owner' : 'viewer'));
    await Promise.all(
      roles.map((role) =>
        putMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: MEMBER, role: role }),
      ),
    );
    vi.restoreAllMocks();
    const actual = await owners(id);
    expect(actual).toContain(OWNER);
    expect(await ownerCount(id)).toBe(actual.length);
  });

  it('removes a member once when many removals race: one succeeds, the others find no member', async () => {
    const id = await environmentWith('owner');
    holdMemberReads(MEMBER, WRITERS);
    const settled = await Promise.allSettled(
      Array.from({ length: WRITERS }, () =>
        removeMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: MEMBER }),
      ),
    );
    vi.restoreAllMocks();
    expect(settled.map(statusOf).sort()).toEqual([200, ...Array(WRITERS - 1).fill(404)]);
    expect(await owners(id)).toEqual([OWNER]);
    expect(await ownerCount(id)).toBe(1);
  });

  it('lets only one of two owners who demote themselves at once go: the other is the last owner (409)', async () => {
    const id = await environmentWith('owner');
    const settled = await Promise.allSettled([
      putMember(storeDeps(), { requestId: 'req_test', sub: OWNER, environmentId: id, userId: OWNER, role: 'viewer' }),
      putMember(storeDeps(), { requestId: 'req_test', sub: MEMBER, environmentId: id, userId: MEMBER, role: 'viewer' }),
    ]);
    expect(settled.map(statusOf).sort()).toEqual([200, 409]);
    expect(await owners(id)).toHaveLength(1);
    expect(await ownerCount(id)).toBe(1);
  });
});
