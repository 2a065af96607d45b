import { storeDeps } from '../../lib/app/process-deps.js';
import { PutMemberBody } from '../../lib/environments/environment-requests.js';
import { putMember } from '../../lib/environments/members.js';
import { MemberPath } from '../../lib/environments/paths.js';
import type { Member } from '../../lib/environments/schemas.js';
import { idempotency } from '../../lib/http/idempotency.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: MemberPath, body: PutMemberBody, idempotent: idempotency(deps) },
  async ({ path, body, caller, requestId, commit }) => {
    const respond = (member: Member) => json(200, member);
    return respond(
      await putMember(deps, {
        sub: caller.sub,
        requestId,
        environmentId: path.id,
        userId: path.userId,
        role: body.role,
        commit: commit(respond),
      }),
    );
  },
);
