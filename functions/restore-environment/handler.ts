import { storeDeps } from '../../lib/app/process-deps.js';
import { restoreEnvironment } from '../../lib/environments/environments.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { environmentResponse } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    return environmentResponse(
      await restoreEnvironment(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        commit: commit(environmentResponse),
      }),
    );
  },
);
