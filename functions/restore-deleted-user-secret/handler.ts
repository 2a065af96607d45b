import { valueDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { withEtag } from '../../lib/http/user-secret-responses.js';
import { SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { restoreDeletedUserSecret } from '../../lib/secrets/user-secret-trash.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, idempotent: idempotency(deps) },
  async ({ path, headers, caller, requestId, commit }) =>
    withEtag(
      await restoreDeletedUserSecret(deps, {
        sub: caller.sub,
        requestId,
        id: path.id,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(withEtag),
      }),
    ),
);
