import { storeDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { purgeDeletedSecret } from '../../lib/environments/secret-trash.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    const respond = () => noContent();
    await purgeDeletedSecret(deps, {
      sub: caller.sub,
      requestId,
      environmentId: path.id,
      key: path.key,
      commit: commit(respond),
    });
    return respond();
  },
);
