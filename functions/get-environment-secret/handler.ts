import { storeDeps } from '../../lib/deps.js';
import { secretResponse } from '../../lib/environments/responses.js';
import { SecretPath } from '../../lib/environments/schemas.js';
import { getSecret } from '../../lib/environments/secrets.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'environments', path: SecretPath }, async ({ path, caller }) =>
  secretResponse(await getSecret(deps, caller.sub, path.id, path.key)),
);
