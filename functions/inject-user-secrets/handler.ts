import { valueDeps } from '../../lib/app/process-deps.js';
import { INJECT_SCOPE } from '../../lib/auth/claims.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { injectUserSecrets } from '../../lib/secrets/user-secrets.js';

const deps = valueDeps();

export const handler = defineRoute({ family: 'v1', scope: INJECT_SCOPE }, async ({ caller, requestId }) =>
  json(200, { env: await injectUserSecrets(deps, { sub: caller.sub, requestId }) }),
);
