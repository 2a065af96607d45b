import { valueDeps } from '../../lib/app/process-deps.js';
import { INJECT_SCOPE } from '../../lib/auth/claims.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { injectSecrets } from '../../lib/environments/values.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, scope: INJECT_SCOPE },
  async ({ path, caller, requestId }) =>
    json(200, { env: await injectSecrets(deps, { sub: caller.sub, environmentId: path.id, requestId }) }),
);
