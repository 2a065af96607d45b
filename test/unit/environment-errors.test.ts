import { describe, expect, it } from 'vitest';
import {
  environmentNotFound,
  lastOwner,
  memberNotFound,
  neverRevealIsOneWay,
  roleForbids,
  secretExists,
  secretNeverReveal,
  secretNotFound,
} from '../../lib/environments/errors.js';
import { renderError } from '../../lib/http/envelopes.js';

/** The environments API's own answers, as a client reads them: status, code, message, field, hint. */
const body = (error: Parameters<typeof renderError>[1]) => ({
  status: renderError('environments', error, 'req').status,
  ...renderError('environments', error, 'req').body,
});

describe('environment errors', () => {
  it('hide whether an environment exists from non-members', () => {
    expect(body(environmentNotFound())).toStrictEqual({
      status: 404,
      code: 'ENVIRONMENT_NOT_FOUND',
      message: 'Environment not found',
      hint: 'Check the id; an environment you are not a member of is not found either.',
      requestId: 'req',
    });
  });

  it('tell a member which roles an action needs', () => {
    expect(body(roleForbids('viewer', ['owner', 'editor']))).toStrictEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: 'Your role viewer does not allow this action',
      hint: 'This needs the role owner or editor; ask an owner of the environment.',
      requestId: 'req',
    });
  });

  it('name the member, the key or the rule at stake, never a value', () => {
    expect(body(memberNotFound('bob'))).toStrictEqual({
      status: 404,
      code: 'MEMBER_NOT_FOUND',
      message: 'User bob is not a member of this environment',
      requestId: 'req',
    });
    expect(body(lastOwner())).toStrictEqual({
      status: 409,
      code: 'LAST_OWNER',
      message: 'An environment must keep at least one owner',
      hint: 'Make another member an owner first.',
      requestId: 'req',
    });
    expect(body(secretNotFound('API_KEY'))).toStrictEqual({
      status: 404,
      code: 'SECRET_NOT_FOUND',
      message: 'This environment has no secret API_KEY',
      requestId: 'req',
    });
    expect(body(secretExists('API_KEY'))).toStrictEqual({
      status: 409,
      code: 'SECRET_EXISTS',
      message: 'This environment already has a secret API_KEY',
      field: 'key',
      hint: 'Change the existing secret with PATCH, or choose another key.',
      requestId: 'req',
    });
  });

  it('explain the one-way neverReveal and where such a secret goes instead', () => {
    expect(body(neverRevealIsOneWay())).toMatchObject({
      status: 400,
      code: 'READONLY_FIELD',
      message: 'Field "neverReveal" cannot be turned off once it is set.',
      field: 'neverReveal',
      hint: expect.stringMatching(
        /^neverReveal is one-way.*delete the secret, purge it from the trash, and create it again/,
      ),
    });
    expect(body(secretNeverReveal('API_KEY'))).toStrictEqual({
      status: 403,
      code: 'SECRET_NEVER_REVEAL',
      message: 'Secret API_KEY is marked neverReveal: it is only injected into runtimes',
      hint: 'Runtimes receive it from GET /api/environments/{id}/env with a secrets:inject token.',
      requestId: 'req',
    });
  });
});
