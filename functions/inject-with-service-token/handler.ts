import { valueDeps } from '../../lib/app/process-deps.js';
import { json } from '../../lib/http/responses.js';
import { defineServiceTokenRoute } from '../../lib/http/route.js';
import { injectWithServiceToken } from '../../lib/tokens/tokens.js';

const deps = valueDeps();

export const handler = defineServiceTokenRoute({ family: 'environments' }, async ({ caller, requestId }) =>
  json(200, { env: await injectWithServiceToken(deps, { token: caller.token, requestId }) }),
);
