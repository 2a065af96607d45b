import { storeDeps } from '../../lib/app/process-deps.js';
import { removeMember } from '../../lib/environments/members.js';
import { MemberPath } from '../../lib/environments/paths.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { noContent } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: MemberPath, idempotent: idempotency(deps) },
  async ({ path, caller, requestId, commit }) => {
    const respond = () => noContent();
    await removeMember(deps, {
      sub: caller.sub,
      requestId,
      environmentId: path.id,
      userId: path.userId,
      commit: commit(respond),
    });
    return respond();
  },
);
