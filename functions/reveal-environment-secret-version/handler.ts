import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretVersionPath } from '../../lib/environments/paths.js';
import { revealSecretVersion } from '../../lib/environments/secret-versions.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretVersionPath },
  async ({ path, caller, requestId }) =>
    json(
      200,
      await revealSecretVersion(deps, {
        sub: caller.sub,
        environmentId: path.id,
        key: path.key,
        version: path.version,
        requestId,
      }),
    ),
);
