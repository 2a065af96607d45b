import { storeDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { ListUserSecretsQuery } from '../../lib/secrets/user-secret-schemas.js';
import { listUserSecrets } from '../../lib/secrets/user-secrets.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'v1', query: ListUserSecretsQuery }, async ({ query, caller }) =>
  json(200, await listUserSecrets(deps, { sub: caller.sub, page: query })),
);
