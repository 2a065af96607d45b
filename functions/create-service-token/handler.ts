import { storeDeps } from '../../lib/app/process-deps.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { CreateServiceTokenBody, type ServiceToken } from '../../lib/tokens/schemas.js';
import { createServiceToken } from '../../lib/tokens/tokens.js';

const deps = storeDeps();

/** The answer holds the new token; what a retry by Idempotency-Key replays does not (it is stored nowhere). */
const created = (token: ServiceToken) => json(201, token);

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, body: CreateServiceTokenBody, idempotent: idempotency(deps) },
  async ({ path, body, caller, requestId, commit }) =>
    created(
      await createServiceToken(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        token: body,
        commit: commit(created),
      }),
    ),
);
