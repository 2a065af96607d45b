import { valueDeps } from '../../lib/deps.js';
import { secretResponse } from '../../lib/environments/responses.js';
import { SecretPath, UpdateSecretBody } from '../../lib/environments/schemas.js';
import { updateSecret } from '../../lib/environments/secrets.js';
import { parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, body: UpdateSecretBody },
  async ({ path, body, headers, caller }) =>
    secretResponse(await updateSecret(deps, caller.sub, path.id, path.key, body, parseIfMatch(headers['if-match']))),
);
