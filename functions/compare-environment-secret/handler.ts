import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { compareSecret } from '../../lib/environments/secret-compare.js';
import { CompareSecretBody } from '../../lib/environments/secret-requests.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, body: CompareSecretBody },
  async ({ path, body, caller, requestId }) =>
    json(
      200,
      await compareSecret(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        key: path.key,
        value: body.value,
      }),
    ),
);
