import { storeDeps } from '../../lib/app/process-deps.js';
import { defineRoute } from '../../lib/http/route.js';
import { withEtag } from '../../lib/http/user-secret-responses.js';
import { SecretIdPath } from '../../lib/secrets/user-secret-schemas.js';
import { getUserSecret } from '../../lib/secrets/user-secrets.js';

const deps = storeDeps();

export const handler = defineRoute({ family: 'v1', path: SecretIdPath }, async ({ path, caller }) =>
  withEtag(await getUserSecret(deps, { sub: caller.sub, id: path.id })),
);
