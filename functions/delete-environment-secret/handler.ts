import { storeDeps } from '../../lib/deps.js';
import { SecretPath } from '../../lib/environments/schemas.js';
import { deleteSecret } from '../../lib/environments/secrets.js';
import { noContent, parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'environments', path: SecretPath }, async ({ path, headers, caller }) => {
  await deleteSecret(deps, caller.sub, path.id, path.key, parseIfMatch(headers['if-match']));
  return noContent();
});
