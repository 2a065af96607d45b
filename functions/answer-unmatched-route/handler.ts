import { answerUnmatchedRoute } from '../../lib/http/unmatched-route.js';

/** API Gateway's `$default` route: paths and methods no route has, in the family's envelope. */
export const handler = answerUnmatchedRoute(process.env.ROUTE_TEMPLATES ?? '');
