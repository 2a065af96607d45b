import { valueDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';
import { created } from '../../lib/http/user-secret-responses.js';
import { CreateUserSecretBody } from '../../lib/secrets/user-secret-schemas.js';
import { createUserSecret } from '../../lib/secrets/user-secrets.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'v1', body: CreateUserSecretBody, idempotent: idempotency(deps) },
  async ({ body, caller, requestId, commit }) =>
    created(await createUserSecret(deps, { sub: caller.sub, requestId, secret: body, commit: commit(created) })),
);
