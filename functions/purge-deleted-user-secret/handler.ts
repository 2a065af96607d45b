import { storeDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { purgeDeletedUserSecret } from '../../lib/secrets/user-secret-trash.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    const respond = () => noContent();
    await purgeDeletedUserSecret(deps, { sub: caller.sub, requestId, id: path.id, commit: commit(respond) });
    return respond();
  },
);
