import { storeDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { getSecret } from '../../lib/environments/secrets.js';
import { secretResponse } from '../../lib/http/environment-responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'environments', path: SecretPath }, async ({ path, caller }) =>
  secretResponse(await getSecret(deps, { sub: caller.sub, environmentId: path.id, key: path.key })),
);
