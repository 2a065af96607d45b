import { storeDeps } from '../../lib/app/process-deps.js';
import { UpdateEnvironmentBody } from '../../lib/environments/environment-requests.js';
import { updateEnvironment } from '../../lib/environments/environments.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { environmentResponse } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, body: UpdateEnvironmentBody, idempotent: idempotency(deps) },
  async ({ path, body, caller, requestId, commit }) => {
    return environmentResponse(
      await updateEnvironment(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        patch: body,
        commit: commit(environmentResponse),
      }),
    );
  },
);
