import { valueDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { type CopiedSecret, copySecret } from '../../lib/environments/secret-copy.js';
import { CopySecretBody } from '../../lib/environments/secret-requests.js';
import { secretCreated } from '../../lib/http/environment-responses.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = valueDeps();
const respond = ({ environmentId, secret }: CopiedSecret) => secretCreated(environmentId, secret);

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, body: CopySecretBody, idempotent: idempotency(deps) },
  async ({ path, body, caller, requestId, commit }) =>
    respond(
      await copySecret(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        key: path.key,
        to: body,
        commit: commit(respond),
      }),
    ),
);
