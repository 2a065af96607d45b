import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { valueDeps } from '../../lib/app/process-deps.js';
import { createKeyring } from '../../lib/crypto/keyring.js';
import { environmentTenant, itemKeys, SK_PREFIX, userTenant } from '../../lib/store/keys.js';
import { CorruptRecordError } from '../../lib/store/records.js';
import { loggedDuring } from '../support/logs.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/**
 * An item that fails its schema when read back is the service's fault: the caller gets a bare
 * 500, and the log names the record type and the failing fields, never a value.
 */
let stack: TestStack;
const VALUE = 'corrupt-test-secret-value';

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Sets `attribute` of the stored item at `key` to a value of the wrong type. */
async function corrupt(key: { PK: string; SK: string }, attribute: string, value: unknown = { wrong: true }) {
  await valueDeps().ddb.send(
    new UpdateCommand({
      TableName: stack.tableName,
      Key: key,
      UpdateExpression: 'SET #a = :v',
      ExpressionAttributeNames: { '#a': attribute },
      ExpressionAttributeValues: { ':v': value },
    }),
  );
}

async function expectInternal(result: Promise<{ status: number; text: string }>) {
  const answer = await result;
  expect(answer.status, answer.text).toBe(500);
  expect(answer.text).not.toContain(VALUE);
}

function expectLogged(log: { lines: Record<string, unknown>[]; text: string }, recordType: string, field: string) {
  expect(log.lines).toContainEqual(
    expect.objectContaining({ msg: 'stored record failed validation', recordType, fields: [field] }),
  );
  expect(log.text).not.toContain(VALUE);
}

describe('a stored item that fails its schema', () => {
  it.each([
    ['user-secret', 'SECRET#', 'version', (id: string) => `/api/v1/user/secrets/${id}`],
    ['user-secret-name', 'NAME#', 'masked_value', () => '/api/v1/user/secrets'],
    ['user-secret-value', 'SECRET#', 'ct', () => '/api/v1/user/secrets/env'],
  ])('%s: answers 500 and logs the record type and field', async (recordType, prefix, field, path) => {
    const sub = `corrupt-${recordType}`;
    const token = await stack.token(sub, 'secrets:inject');
    const created = await stack.call('POST', '/api/v1/user/secrets', { token, body: { name: 'BROKEN', value: VALUE } });
    const sk = prefix === 'NAME#' ? 'NAME#BROKEN' : `SECRET#${created.body.id}`;
    await corrupt({ PK: userTenant(sub), SK: sk }, field, prefix === 'NAME#' ? 7 : 'not-a-number-or-bytes');
    const log = await loggedDuring(() => expectInternal(stack.call('GET', path(created.body.id), { token })));
    expectLogged(log, recordType, field);
  });

  it.each([
    ['environment-member', 'role', 'GET', '/secrets'],
    ['environment-header', 'name', 'PUT', '/members/someone'],
    ['environment-secret', 'version', 'GET', '/secrets/BROKEN'],
    ['environment-secret', 'updated_by', 'GET', '/secrets'],
    ['environment-secret-value', 'ct', 'GET', '/secrets/BROKEN/value'],
    ['environment-membership', 'environment_id', 'GET', ''],
  ])('%s (%s): answers 500 and logs the record type and field', async (recordType, field, method, suffix) => {
    const owner = `corrupt-owner-${field}`;
    const token = await stack.token(owner, 'secrets:inject');
    const { body: env } = await stack.call('POST', '/api/environments', { token, body: { name: 'corrupt' } });
    await stack.call('POST', `/api/environments/${env.id}/secrets`, { token, body: { key: 'BROKEN', value: VALUE } });
    const tenant = environmentTenant(env.id);
    const key =
      {
        role: itemKeys.member(tenant, owner),
        environment_id: itemKeys.member(tenant, owner),
        name: itemKeys.tenantMeta(tenant),
      }[field] ?? itemKeys.environmentSecret(tenant, 'BROKEN');
    await corrupt(key, field, { role: 'boss', version: 'seven', environment_id: 'not-a-uuid' }[field] ?? 7);
    const path = suffix === '' ? '/api/environments' : `/api/environments/${env.id}${suffix}`;
    const log = await loggedDuring(() =>
      expectInternal(stack.call(method, path, { token, body: method === 'PUT' ? { role: 'viewer' } : undefined })),
    );
    expectLogged(log, recordType, field);
  });

  it('audit: answers 500 and logs the record type and field', async () => {
    const token = await stack.token('corrupt-auditor', 'secrets:inject');
    const { body: env } = await stack.call('POST', '/api/environments', { token, body: { name: 'audited' } });
    await stack.call('POST', `/api/environments/${env.id}/secrets`, { token, body: { key: 'K', value: VALUE } });
    await stack.call('GET', `/api/environments/${env.id}/env`, { token });
    const [audit] = await stack.items(environmentTenant(env.id), SK_PREFIX.audit);
    await corrupt({ PK: audit!.PK, SK: audit!.SK }, 'action', 'exfiltrate');
    const log = await loggedDuring(() =>
      expectInternal(stack.call('GET', `/api/environments/${env.id}/audit`, { token })),
    );
    expectLogged(log, 'audit', 'action');
  });

  it.each([
    [
      'data-key',
      (tenant: string) => itemKeys.dataKey(tenant, 1),
      'wrapped_key',
      (tenant: string) => createKeyring(valueDeps()).version(tenant, 1),
    ],
    [
      'tenant-meta',
      (tenant: string) => itemKeys.tenantMeta(tenant),
      'key_version',
      (tenant: string) => createKeyring(valueDeps()).active(tenant),
    ],
  ])(
    '%s: fails the keyring with a corrupt-record error and logs the record type and field',
    async (recordType, key, field, read) => {
      const sub = `corrupt-${recordType}`;
      const token = await stack.token(sub);
      await stack.call('POST', '/api/v1/user/secrets', { token, body: { name: 'K', value: VALUE } });
      await corrupt(key(userTenant(sub)), field, 'garbage');
      const log = await loggedDuring(() => expect(read(userTenant(sub))).rejects.toBeInstanceOf(CorruptRecordError));
      expectLogged(log, recordType, field);
    },
  );
});
