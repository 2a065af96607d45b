import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { valueDeps } from '../../lib/app/process-deps.js';
import { createKeyring } from '../../lib/crypto/keyring.js';
import { aroundDynamoDbCalls } from '../support/faults.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * A write that reads first (If-Match, the owner count, the active data key) must read the
 * committed state, or it judges a stale one. DynamoDB Local is always consistent, so only the
 * requests the service sends can show it: every read on these paths asks for ConsistentRead.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
});

type Read = { command: string; input: Record<string, any> };

/** Runs `action` with every GetItem and Query the service sends recorded (and sent as usual). */
async function readsDuring(action: () => Promise<unknown>): Promise<Read[]> {
  const reads: Read[] = [];
  aroundDynamoDbCalls((command, send) => {
    if (command instanceof GetCommand || command instanceof QueryCommand)
      reads.push({ command: command.constructor.name, input: command.input });
    return send();
  });
  await action();
  vi.restoreAllMocks();
  return reads;
}

function expectConsistent(reads: Read[], expected: { gets: number; queries?: number }) {
  expect(reads.filter((read) => read.command === 'GetCommand')).toHaveLength(expected.gets);
  expect(reads.filter((read) => read.command === 'QueryCommand')).toHaveLength(expected.queries ?? 0);
  for (const read of reads)
    expect(read.input.ConsistentRead, JSON.stringify(read.input.Key ?? read.input.KeyConditionExpression)).toBe(true);
}

async function ok(result: Promise<{ status: number; text: string }>, status: number) {
  const answer = await result;
  expect(answer.status, answer.text).toBe(status);
  return answer as any;
}

describe('reads on write paths', () => {
  it('user secrets: update and delete read the record strongly consistently', async () => {
    const token = await stack.token('consistent-user');
    const created = await ok(
      stack.call('POST', '/api/v1/user/secrets', { token, body: { name: 'ONE', value: 'v1' } }),
      201,
    );
    const path = `/api/v1/user/secrets/${created.body.id}`;
    expectConsistent(await readsDuring(() => ok(stack.call('PUT', path, { token, body: { value: 'v2' } }), 200)), {
      gets: 1,
    });
    expectConsistent(await readsDuring(() => ok(stack.call('DELETE', path, { token }), 204)), { gets: 1 });
  });

  it('environments: member and secret writes read roles, header and record strongly consistently', async () => {
    const token = await stack.token('consistent-owner');
    const env = await ok(stack.call('POST', '/api/environments', { token, body: { name: 'consistent' } }), 201);
    const base = `/api/environments/${env.body.id}`;
    // caller's role and the environment's header; the member's current role
    expectConsistent(
      await readsDuring(() =>
        ok(stack.call('PUT', `${base}/members/someone`, { token, body: { role: 'editor' } }), 200),
      ),
      { gets: 3 },
    );
    // caller's role and header; the environment's first secret also looks up its data key version
    expectConsistent(
      await readsDuring(() =>
        ok(stack.call('POST', `${base}/secrets`, { token, body: { key: 'K', value: 'v1' } }), 201),
      ),
      {
        gets: 3,
      },
    );
    // caller's role and header, then the record
    expectConsistent(
      await readsDuring(() => ok(stack.call('PATCH', `${base}/secrets/K`, { token, body: { value: 'v2' } }), 200)),
      { gets: 3 },
    );
    expectConsistent(await readsDuring(() => ok(stack.call('DELETE', `${base}/secrets/K`, { token }), 204)), {
      gets: 3,
    });
    await ok(stack.call('POST', `${base}/secrets`, { token, body: { key: 'SHOWN', value: 'v' } }), 201);
    // caller's role and header, then the value
    expectConsistent(await readsDuring(() => ok(stack.call('GET', `${base}/secrets/SHOWN/value`, { token }), 200)), {
      gets: 3,
    });
    // caller's role and header, then the audit page, which must hold the reveal just made
    expectConsistent(await readsDuring(() => ok(stack.call('GET', `${base}/audit`, { token }), 200)), {
      gets: 2,
      queries: 1,
    });
    // caller's role and header, then the member
    expectConsistent(await readsDuring(() => ok(stack.call('DELETE', `${base}/members/someone`, { token }), 204)), {
      gets: 3,
    });
  });

  it('the keyring reads the active key version and the stored key strongly consistently', async () => {
    const token = await stack.token('consistent-keys');
    await ok(stack.call('POST', '/api/v1/user/secrets', { token, body: { name: 'ONE', value: 'v1' } }), 201);
    const cold = createKeyring(valueDeps());
    expectConsistent(await readsDuring(() => cold.active('USER#consistent-keys')), { gets: 2 });
    expectConsistent(await readsDuring(() => createKeyring(valueDeps()).version('USER#consistent-keys', 1)), {
      gets: 1,
    });
  });

  it('lists read the page and the exact total strongly consistently, on the first page and after', async () => {
    const token = await stack.token('consistent-lists');
    for (const name of ['A', 'B', 'C'])
      await ok(stack.call('POST', '/api/v1/user/secrets', { token, body: { name, value: 'v' } }), 201);
    let next: string | undefined;
    expectConsistent(
      await readsDuring(
        async () =>
          (next = (await ok(stack.call('GET', '/api/v1/user/secrets?limit=2', { token }), 200)).body.next_cursor),
      ),
      { gets: 0, queries: 1 },
    );
    expectConsistent(
      await readsDuring(() => ok(stack.call('GET', `/api/v1/user/secrets?limit=2&cursor=${next}`, { token }), 200)),
      {
        gets: 1,
        queries: 1,
      },
    );
  });
});
