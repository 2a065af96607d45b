import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, startTestStack, type TestStack } from '../support/stack.js';

/**
 * The role matrix over HTTP: every action of the environments API, tried by an owner, an
 * editor, a viewer and a non-member of one environment.
 */
const ENVIRONMENTS = '/api/environments';
const REQUEST_ID = /^req_[0-9A-Z]{26}$/;
const PEOPLE = {
  owner: 'matrix-owner',
  editor: 'matrix-editor',
  viewer: 'matrix-viewer',
  stranger: 'matrix-stranger',
} as const;
type Who = keyof typeof PEOPLE;
const EVERYONE = Object.keys(PEOPLE) as Who[];

let stack: TestStack;
let id: string;
const tokens = {} as Record<Who, { plain: string; inject: string }>;

beforeAll(async () => {
  stack = await startTestStack();
  for (const who of EVERYONE) {
    tokens[who] = { plain: await stack.token(PEOPLE[who]), inject: await stack.token(PEOPLE[who], 'secrets:inject') };
  }
  const owner = tokens.owner.plain;
  id = (await stack.call('POST', ENVIRONMENTS, { token: owner, body: { name: 'matrix' } })).body.id;
  const setup = [
    stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${PEOPLE.editor}`, { token: owner, body: { role: 'editor' } }),
    stack.call('PUT', `${ENVIRONMENTS}/${id}/members/${PEOPLE.viewer}`, { token: owner, body: { role: 'viewer' } }),
    stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
      token: owner,
      body: { key: 'SHARED', value: 'shared-value' },
    }),
    // One of each for the destructive actions, so every caller meets the same starting state.
    ...EVERYONE.flatMap((who) => [
      stack.call('POST', `${ENVIRONMENTS}/${id}/secrets`, {
        token: owner,
        body: { key: `DOOMED_${who}`, value: 'doomed-value' },
      }),
      stack.call('PUT', `${ENVIRONMENTS}/${id}/members/removable-${who}`, { token: owner, body: { role: 'viewer' } }),
    ]),
  ];
  for (const result of await Promise.all(setup)) expect([200, 201]).toContain(result.status);
});
afterAll(() => stack?.stop());

type Action = (who: Who) => Promise<CallResult>;

const as = (who: Who, method: string, path: string, body?: unknown, scope: 'plain' | 'inject' = 'plain') =>
  stack.call(method, `${ENVIRONMENTS}/${id}${path}`, { token: tokens[who][scope], body });

const MATRIX: [string, Action, Record<Who, number>][] = [
  ['get the environment', (who) => as(who, 'GET', ''), { owner: 200, editor: 200, viewer: 200, stranger: 404 }],
  ['list members', (who) => as(who, 'GET', '/members'), { owner: 200, editor: 200, viewer: 200, stranger: 404 }],
  [
    'rename the environment',
    (who) => as(who, 'PATCH', '', { description: `renamed by ${who}` }),
    { owner: 200, editor: 403, viewer: 403, stranger: 404 },
  ],
  // Deleting and restoring, which end the shared environment, are tried role by role in environment-management.test.ts.
  [
    'list secret metadata',
    (who) => as(who, 'GET', '/secrets'),
    { owner: 200, editor: 200, viewer: 200, stranger: 404 },
  ],
  [
    'get secret metadata',
    (who) => as(who, 'GET', '/secrets/SHARED'),
    { owner: 200, editor: 200, viewer: 200, stranger: 404 },
  ],
  [
    'create a secret',
    (who) => as(who, 'POST', '/secrets', { key: `NEW_${who}`, value: 'new-value' }),
    { owner: 201, editor: 201, viewer: 403, stranger: 404 },
  ],
  [
    'update a secret',
    (who) => as(who, 'PATCH', '/secrets/SHARED', { description: who }),
    { owner: 200, editor: 200, viewer: 403, stranger: 404 },
  ],
  [
    'delete a secret',
    (who) => as(who, 'DELETE', `/secrets/DOOMED_${who}`),
    { owner: 204, editor: 204, viewer: 403, stranger: 404 },
  ],
  [
    'reveal a value',
    (who) => as(who, 'GET', '/secrets/SHARED/value'),
    { owner: 200, editor: 200, viewer: 403, stranger: 404 },
  ],
  [
    'inject with secrets:inject',
    (who) => as(who, 'GET', '/env', undefined, 'inject'),
    { owner: 200, editor: 200, viewer: 200, stranger: 404 },
  ],
  // The scope is checked before membership, so it reveals nothing about the environment.
  [
    'inject without the scope',
    (who) => as(who, 'GET', '/env'),
    { owner: 403, editor: 403, viewer: 403, stranger: 403 },
  ],
  [
    'add a member',
    (who) => as(who, 'PUT', `/members/newcomer-${who}`, { role: 'viewer' }),
    { owner: 200, editor: 403, viewer: 403, stranger: 404 },
  ],
  [
    'remove another member',
    (who) => as(who, 'DELETE', `/members/removable-${who}`),
    { owner: 204, editor: 403, viewer: 403, stranger: 404 },
  ],
  ['read the audit', (who) => as(who, 'GET', '/audit'), { owner: 200, editor: 403, viewer: 403, stranger: 404 }],
];

const CODES: Record<number, string> = { 403: 'FORBIDDEN', 404: 'ENVIRONMENT_NOT_FOUND' };

describe.each(MATRIX)('%s', (_, action, expected) => {
  it.each(EVERYONE)('as %s', async (who) => {
    const result = await action(who);
    expect(result.status).toBe(expected[who]);
    if (result.status >= 400) {
      expect(result.body).toMatchObject({ code: CODES[result.status], message: expect.any(String) });
      expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
      expect(result.body.requestId).toMatch(REQUEST_ID);
    }
  });
});

describe('what each role sees', () => {
  it('lists the environment with the caller’s own role, and not at all for a non-member', async () => {
    for (const who of ['owner', 'editor', 'viewer'] as const) {
      const list = await stack.call('GET', ENVIRONMENTS, { token: tokens[who].plain });
      expect(list.body.environments).toEqual([expect.objectContaining({ id, name: 'matrix', role: who })]);
    }
    expect((await stack.call('GET', ENVIRONMENTS, { token: tokens.stranger.plain })).body.environments).toEqual([]);
  });

  it('answers a non-member exactly as for an environment that does not exist', async () => {
    const missing = await stack.call('GET', `${ENVIRONMENTS}/00000000-0000-4000-8000-000000000000/secrets/SHARED`, {
      token: tokens.owner.plain,
    });
    const hidden = await as('stranger', 'GET', '/secrets/SHARED');
    expect(hidden.status).toBe(missing.status);
    expect({ ...hidden.body, requestId: undefined }).toEqual({ ...missing.body, requestId: undefined });
  });

  it('never puts a value in a viewer’s metadata', async () => {
    const list = await as('viewer', 'GET', '/secrets');
    const one = await as('viewer', 'GET', '/secrets/SHARED');
    expect(list.text + one.text).not.toContain('shared-value');
    expect(list.text).not.toContain('doomed-value');
  });

  it('lets an editor and a viewer leave, after which they are strangers', async () => {
    for (const who of ['editor', 'viewer'] as const) {
      expect((await as(who, 'DELETE', `/members/${PEOPLE[who]}`)).status).toBe(204);
      expect((await as(who, 'GET', '/secrets')).status).toBe(404);
    }
  });
});
