import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { UpdateSecretBody } from '../../lib/environments/secret-requests.js';
import { updateSecret } from '../../lib/environments/secrets.js';
import { secretResponse } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, body: UpdateSecretBody, idempotent: idempotency(deps) },
  async ({ path, body, headers, caller, requestId, commit }) =>
    secretResponse(
      await updateSecret(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        key: path.key,
        patch: body,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(secretResponse),
      }),
    ),
);
