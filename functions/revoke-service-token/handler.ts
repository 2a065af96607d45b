import { storeDeps } from '../../lib/app/process-deps.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { ServiceTokenPath } from '../../lib/tokens/schemas.js';
import { revokeServiceToken } from '../../lib/tokens/tokens.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: ServiceTokenPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    await revokeServiceToken(deps, {
      sub: caller.sub,
      requestId,
      environmentId: path.id,
      tokenId: path.tokenId,
      commit: commit(() => noContent()),
    });
    return noContent();
  },
);
