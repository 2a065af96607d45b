import { storeDeps } from '../../lib/app/process-deps.js';
import { getEnvironment } from '../../lib/environments/environments.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'environments', path: EnvironmentPath }, async ({ path, caller }) =>
  json(200, await getEnvironment(deps, { sub: caller.sub, environmentId: path.id })),
);
