import { storeDeps } from '../../lib/app/process-deps.js';
import { SecretPath } from '../../lib/environments/paths.js';
import { listSecretVersions } from '../../lib/environments/secret-versions.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: SecretPath, query: PageQuery },
  async ({ path, query, caller }) =>
    json(200, await listSecretVersions(deps, { sub: caller.sub, environmentId: path.id, key: path.key, page: query })),
);
