import { storeDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { listDeletedUserSecrets } from '../../lib/secrets/user-secret-trash.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'v1', query: PageQuery }, async ({ query, caller }) =>
  json(200, await listDeletedUserSecrets(deps, { sub: caller.sub, page: query })),
);
