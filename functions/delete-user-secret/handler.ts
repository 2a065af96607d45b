import { storeDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent, parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { deleteUserSecret } from '../../lib/secrets/user-secret-trash.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, idempotent: idempotency(deps) },
  async ({ path, headers, caller, requestId, commit }) => {
    const precondition = parseIfMatch(headers['if-match']);
    await deleteUserSecret(deps, {
      sub: caller.sub,
      requestId,
      id: path.id,
      precondition,
      commit: commit(() => noContent()),
    });
    return noContent();
  },
);
