import { storeDeps } from '../../lib/app/process-deps.js';
import { EnvironmentPath } from '../../lib/environments/paths.js';
import { listDeletedSecrets } from '../../lib/environments/secret-trash.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: EnvironmentPath, query: PageQuery },
  async ({ path, query, caller }) =>
    json(200, await listDeletedSecrets(deps, { sub: caller.sub, environmentId: path.id, page: query })),
);
