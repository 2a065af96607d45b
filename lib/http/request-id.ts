import { ulid } from '../ulid.js';

/** Request ids are `req_` + ULID, returned as `x-request-id` on every response. */
export function newRequestId(): string {
  return `req_${ulid()}`;
}
