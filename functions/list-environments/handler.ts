import { storeDeps } from '../../lib/app/process-deps.js';
import { listEnvironments } from '../../lib/environments/environments.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'environments', query: PageQuery }, async ({ query, caller }) =>
  json(200, await listEnvironments(deps, { sub: caller.sub, page: query })),
);
