import { storeDeps } from '../../lib/app/process-deps.js';
import { CreateEnvironmentBody } from '../../lib/environments/environment-requests.js';
import { createEnvironment } from '../../lib/environments/environments.js';
import { environmentCreated } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', body: CreateEnvironmentBody, idempotent: idempotency(deps) },
  async ({ body, caller, requestId, commit }) =>
    environmentCreated(
      await createEnvironment(deps, {
        sub: caller.sub,
        requestId,
        environment: body,
        commit: commit(environmentCreated),
      }),
    ),
);
