import { valueDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { withEtag } from '../../lib/http/user-secret-responses.js';
import { renameUserSecret } from '../../lib/secrets/user-secret-rename.js';
import { RenameUserSecretBody, SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, body: RenameUserSecretBody, idempotent: idempotency(deps) },
  async ({ path, body, headers, caller, requestId, commit }) =>
    withEtag(
      await renameUserSecret(deps, {
        sub: caller.sub,
        requestId,
        id: path.id,
        name: body.name,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(withEtag),
      }),
    ),
);
