/** The typed client of the secrets service: `new SecretsClient({ baseUrl, token })`. */
export {
  type CallOptions,
  type ClientOptions,
  pages,
  type ResponseInfo,
  type RetryEvent,
  type RetryPolicy,
  SecretsClient,
} from './client.js';
export {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  isV1Envelope,
  NetworkError,
  NotFoundError,
  PreconditionFailedError,
  RateLimitedError,
  SecretsClientError,
  ServerError,
  UnauthorizedError,
} from './errors.js';
export { OPERATIONS, type Operation, type OperationName } from './operations.js';
export {
  fetchTransport,
  nodeTransport,
  TimeoutError,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js';
export type * from './types.js';
