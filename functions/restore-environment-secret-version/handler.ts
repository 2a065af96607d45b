import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretVersionPath } from '../../lib/environments/paths.js';
import { restoreSecretVersion } from '../../lib/environments/secret-versions.js';
import { secretResponse } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretVersionPath, idempotent: idempotency(deps) },
  async ({ path, headers, caller, requestId, commit }) =>
    secretResponse(
      await restoreSecretVersion(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        key: path.key,
        version: path.version,
        precondition: parseIfMatch(headers['if-match']),
        commit: commit(secretResponse),
      }),
    ),
);
