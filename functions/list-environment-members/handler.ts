import { storeDeps } from '../../lib/app/process-deps.js';
import { listMembers } from '../../lib/environments/members.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, query: PageQuery },
  async ({ path, query, caller }) =>
    json(200, await listMembers(deps, { sub: caller.sub, environmentId: path.id, page: query })),
);
