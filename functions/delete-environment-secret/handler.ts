import { storeDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { deleteSecret } from '../../lib/environments/secret-trash.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent, parseIfMatch } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, idempotent: idempotency(deps) },
  async ({ path, headers, caller, requestId, commit }) => {
    const respond = () => noContent();
    await deleteSecret(deps, {
      sub: caller.sub,
      requestId,
      environmentId: path.id,
      key: path.key,
      precondition: parseIfMatch(headers['if-match']),
      commit: commit(respond),
    });
    return respond();
  },
);
