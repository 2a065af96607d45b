import { valueDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { compareUserSecret } from '../../lib/secrets/user-secret-compare.js';
import { CompareUserSecretBody, SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, body: CompareUserSecretBody },
  async ({ path, body, caller, requestId }) =>
    json(200, await compareUserSecret(deps, { sub: caller.sub, requestId, id: path.id, value: body.value })),
);
