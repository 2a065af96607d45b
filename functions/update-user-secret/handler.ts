import { valueDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { withEtag } from '../../lib/http/user-secret-responses.js';
import { SecretIdPath, UpdateUserSecretBody } from '../../lib/secrets/user-secret-schemas.js';
import { updateUserSecret } from '../../lib/secrets/user-secrets.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, body: UpdateUserSecretBody, idempotent: idempotency(deps) },
  async ({ path, body, headers, caller, requestId, commit }) =>
    withEtag(
      await updateUserSecret(deps, {
        sub: caller.sub,
        requestId,
        id: path.id,
        value: body.value,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(withEtag),
      }),
    ),
);
