import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { restoreDeletedSecret } from '../../lib/environments/secret-trash.js';
import { secretResponse } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, idempotent: idempotency(deps) },
  async ({ path, headers, caller, requestId, commit }) =>
    secretResponse(
      await restoreDeletedSecret(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        key: path.key,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(secretResponse),
      }),
    ),
);
