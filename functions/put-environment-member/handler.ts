import { storeDeps } from '../../lib/app/process-deps.js';
import { putMember } from '../../lib/environments/members.js';
import { MemberPath, PutMemberBody } from '../../lib/environments/schemas.js';
import { json } from '../../lib/http/responses.js';
import { defineRoute } from '../../lib/http/route.js';

const deps = storeDeps();

export const handler = defineRoute(
  { family: 'environments', path: MemberPath, body: PutMemberBody },
  async ({ path, body, caller }) =>
    json(200, await putMember(deps, { sub: caller.sub, environmentId: path.id, userId: path.userId, role: body.role })),
);
