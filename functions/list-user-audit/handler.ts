import { storeDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { listUserAudit } from '../../lib/secrets/user-secrets.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'v1', query: PageQuery }, async ({ query, caller }) =>
  json(200, await listUserAudit(deps, { sub: caller.sub, page: query })),
);
