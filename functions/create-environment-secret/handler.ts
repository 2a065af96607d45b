import { valueDeps } from '../../lib/app/process-deps.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import type { SecretMetadata } from '../../lib/environments/schemas.js';
import { CreateSecretBody } from '../../lib/environments/secret-requests.js';
import { createSecret } from '../../lib/environments/secrets.js';
import { secretCreated } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, body: CreateSecretBody, idempotent: idempotency(deps) },
  async ({ path, body, caller, requestId, commit }) => {
    const respond = (secret: SecretMetadata) => secretCreated(path.id, secret);
    return respond(
      await createSecret(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        secret: body,
        commit: commit(respond),
      }),
    );
  },
);
