import { storeDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';
import { SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { listUserSecretVersions } from '../../lib/secrets/user-secret-versions.js';
import { PageQuery } from '../../lib/store/page-query.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'v1', path: SecretIdPath, query: PageQuery },
  async ({ path, query, caller }) =>
    json(200, await listUserSecretVersions(deps, { sub: caller.sub, id: path.id, page: query })),
);
