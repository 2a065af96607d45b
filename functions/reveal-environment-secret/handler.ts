import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { revealSecret } from '../../lib/environments/values.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute({ family: 'environments', path: SecretPath }, async ({ path, caller, requestId }) =>
  json(200, await revealSecret(deps, { sub: caller.sub, environmentId: path.id, key: path.key, requestId })),
);
