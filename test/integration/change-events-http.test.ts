import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEvents } from '../support/events.js';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/**
 * Change events of real writes over HTTP: every committed change of both APIs is exactly one
 * event, of the right type and naming the right things; refused writes and reads are none; no
 * event holds a value or a token.
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ changeEvents: true });
});
afterAll(() => stack?.stop());

const VALUES = ['events-first-value', 'events-second-value', 'events-user-value', 'events-user-value-2'];

describe('change events of writes over HTTP', () => {
  it('publishes each committed change once, nothing for refused writes, never a value', async () => {
    const owner = await stack.token('events-owner');
    const committed: [CallResult, string, string, number][] = [];
    const refused: CallResult[] = [];
    // A copy is a change on each side: one event per environment it touches.
    const expectStatus = async (
      call: Promise<CallResult>,
      status: number,
      action?: string,
      detailType?: string,
      events = 1,
    ) => {
      const result = await call;
      expect(result.status, result.text).toBe(status);
      if (action) committed.push([result, action, detailType!, events]);
      else refused.push(result);
      return result;
    };

    const environment = await expectStatus(
      stack.call('POST', '/api/environments', { token: owner, body: { name: 'events' } }),
      201,
      'environment.create',
      'EnvironmentChanged',
    );
    const id: string = environment.body.id;
    const env = `/api/environments/${id}`;
    await expectStatus(
      stack.call('POST', `${env}/secrets`, { token: owner, body: { key: 'API_KEY', value: VALUES[0] } }),
      201,
      'create',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `${env}/secrets`, { token: owner, body: { key: 'API_KEY', value: VALUES[1] } }),
      409,
    );
    await expectStatus(
      stack.call('PATCH', `${env}/secrets/API_KEY`, {
        token: owner,
        body: { value: VALUES[1] },
        headers: { 'if-match': '"9"' },
      }),
      412,
    );
    await expectStatus(
      stack.call('PATCH', `${env}/secrets/API_KEY`, { token: owner, body: { value: VALUES[1] } }),
      200,
      'update',
      'SecretChanged',
    );
    await expectStatus(stack.call('GET', `${env}/secrets/API_KEY/value`, { token: owner }), 200);
    await expectStatus(
      stack.call('PUT', `${env}/members/events-viewer`, { token: owner, body: { role: 'viewer' } }),
      200,
      'member.put',
      'MemberChanged',
    );
    const token = await expectStatus(
      stack.call('POST', `${env}/tokens`, { token: owner, body: { name: 'ci' } }),
      201,
      'token.create',
      'TokenChanged',
    );
    await expectStatus(
      stack.call('GET', '/api/service/env', { headers: { authorization: `Bearer ${token.body.token}` } }),
      200,
    );
    await expectStatus(
      stack.call('DELETE', `${env}/tokens/${token.body.id}`, { token: owner }),
      204,
      'token.revoke',
      'TokenChanged',
    );
    await expectStatus(
      stack.call('PATCH', env, { token: owner, body: { name: 'events renamed' } }),
      200,
      'environment.update',
      'EnvironmentChanged',
    );
    await expectStatus(
      stack.call('DELETE', `${env}/members/events-viewer`, { token: owner }),
      204,
      'member.remove',
      'MemberChanged',
    );
    await expectStatus(
      stack.call('POST', `${env}/secrets/API_KEY/versions/1/restore`, { token: owner }),
      200,
      'rollback',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `${env}/secrets/API_KEY/compare`, { token: owner, body: { value: VALUES[0] } }),
      200,
    );
    await expectStatus(
      stack.call('POST', `${env}/secrets/API_KEY/copy`, { token: owner, body: { toEnvironmentId: id, toKey: 'COPY' } }),
      201,
      'copy',
      'SecretChanged',
      2,
    );
    await expectStatus(stack.call('POST', `${env}/secrets/API_KEY/versions/99/restore`, { token: owner }), 404);
    await expectStatus(
      stack.call('DELETE', `${env}/secrets/API_KEY`, { token: owner }),
      204,
      'delete',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `${env}/deleted-secrets/API_KEY/restore`, { token: owner }),
      200,
      'restore',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('DELETE', `${env}/secrets/API_KEY`, { token: owner }),
      204,
      'delete',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('DELETE', `${env}/deleted-secrets/API_KEY`, { token: owner }),
      204,
      'purge',
      'SecretChanged',
    );
    await expectStatus(stack.call('DELETE', env, { token: owner }), 204, 'environment.delete', 'EnvironmentChanged');
    await expectStatus(
      stack.call('POST', `${env}/restore`, { token: owner }),
      200,
      'environment.restore',
      'EnvironmentChanged',
    );

    const user = await stack.token('events-user');
    const secret = await expectStatus(
      stack.call('POST', '/api/v1/user/secrets', { token: user, body: { name: 'USER_KEY', value: VALUES[2] } }),
      201,
      'create',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('PUT', `/api/v1/user/secrets/${secret.body.id}`, { token: user, body: { value: VALUES[3] } }),
      200,
      'update',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `/api/v1/user/secrets/${secret.body.id}/versions/1/restore`, { token: user }),
      200,
      'rollback',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `/api/v1/user/secrets/${secret.body.id}/rename`, { token: user, body: { name: 'RENAMED' } }),
      200,
      'rename',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('DELETE', `/api/v1/user/secrets/${secret.body.id}`, { token: user }),
      204,
      'delete',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('POST', `/api/v1/user/secrets/deleted/${secret.body.id}/restore`, { token: user }),
      200,
      'restore',
      'SecretChanged',
    );
    await expectStatus(
      stack.call('DELETE', `/api/v1/user/secrets/${secret.body.id}`, { token: user }),
      204,
      'delete',
      'SecretChanged',
    );
    // The last change: once its event is there, every earlier one would be too (one shard, in commit order).
    await expectStatus(
      stack.call('DELETE', `/api/v1/user/secrets/deleted/${secret.body.id}`, { token: user }),
      204,
      'purge',
      'SecretChanged',
    );

    const lastRequest = committed.at(-1)![0].headers.get('x-request-id');
    const events = await waitForEvents(stack.dataDir, (seen) => seen.some((event) => event.requestId === lastRequest));
    const ours = events.filter((event) =>
      committed.some(([result]) => result.headers.get('x-request-id') === event.requestId),
    );
    for (const [result, action, detailType, count] of committed) {
      const matching = events.filter((event) => event.requestId === result.headers.get('x-request-id'));
      expect(matching, `${action} ${result.headers.get('x-request-id')}`).toEqual(
        Array.from({ length: count }, () => expect.objectContaining({ action, detailType, source: 'secrets-service' })),
      );
    }
    expect(new Set(ours.map((event) => event.id)).size).toBe(committed.reduce((sum, [, , , count]) => sum + count, 0));
    for (const result of refused) {
      expect(events.filter((event) => event.requestId === result.headers.get('x-request-id'))).toEqual([]);
    }
    const text = JSON.stringify(events);
    for (const value of [...VALUES, token.body.token]) expect(text).not.toContain(value);

    const byAction = (action: string) => ours.filter((event) => event.action === action);
    expect(byAction('create')).toEqual([
      expect.objectContaining({
        tenant: `ENV#${id}`,
        environmentId: id,
        key: 'API_KEY',
        version: 1,
        actor: 'events-owner',
      }),
      expect.objectContaining({ tenant: 'USER#events-user', secretId: secret.body.id, name: 'USER_KEY', version: 1 }),
    ]);
    expect(byAction('member.put')).toEqual([expect.objectContaining({ environmentId: id, userId: 'events-viewer' })]);
    expect(byAction('token.revoke')).toEqual([expect.objectContaining({ tokenId: token.body.id })]);
  });
});
