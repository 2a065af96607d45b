import { storeDeps } from '../../lib/app/process-deps.js';
import { deleteEnvironment } from '../../lib/environments/environments.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    await deleteEnvironment(deps, {
      sub: caller.sub,
      requestId,
      environmentId: path.id,
      commit: commit(() => noContent()),
    });
    return noContent();
  },
);
