import { randomUUID } from 'node:crypto';
import { type ApiError, apiErrorFor, NetworkError } from './errors.js';
import { OPERATIONS, type OperationName } from './operations.js';
import { nodeTransport, TimeoutError, type Transport } from './transport.js';
import type {
  ApiFamily,
  CompareEnvironmentSecretInput,
  CompareResult,
  CompareUserSecretInput,
  CopyEnvironmentSecretInput,
  CreatedServiceToken,
  CreateEnvironmentInput,
  CreateEnvironmentSecretInput,
  CreateFromPresetInput,
  CreateServiceTokenInput,
  CreateUserSecretInput,
  DeletedEnvironmentList,
  DeletedEnvironmentSecretList,
  DeletedUserSecretList,
  Environment,
  EnvironmentAuditList,
  EnvironmentList,
  EnvironmentSecretList,
  EnvironmentSecretVersionList,
  ErrorEnvelope,
  InjectedEnv,
  Member,
  MemberList,
  PageQuery,
  PutMemberInput,
  RenameUserSecretInput,
  RevealedValue,
  RevealedVersionValue,
  SecretMetadata,
  ServiceTokenList,
  UpdateEnvironmentInput,
  UpdateEnvironmentSecretInput,
  UpdateUserSecretInput,
  UserAuditList,
  UserSecretList,
  UserSecretMetadata,
  UserSecretVersionList,
} from './types.js';

export interface RetryPolicy {
  /** Further attempts after the first (default 3). */
  retries: number;
  /** First backoff in ms, doubled per attempt, with jitter (default 250). */
  baseDelayMs: number;
  /** Longest backoff between attempts (default 4000). */
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited out: the error is thrown at once (default 30000). */
  maxRetryAfterMs: number;
}

export interface ClientOptions {
  /** `https://…` of the API (no trailing path), e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Bearer token: a person's JWT, or a service token for `injectWithServiceToken`. A function is asked per call. */
  token?: string | (() => string | Promise<string>);
  retry?: Partial<RetryPolicy>;
  /** Per attempt (default 30000). */
  timeoutMs?: number;
  transport?: Transport;
  /** Sent as `X-Client-Version` when set (the service answers 426 below its minimum). */
  clientVersion?: string;
  userAgent?: string;
  /** Told before each retry (what failed and how long the client waits). */
  onRetry?: (event: RetryEvent) => void;
  /** Waits between attempts; tests replace it. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryEvent {
  operation: OperationName;
  attempt: number;
  delayMs: number;
  error: ApiError | NetworkError;
  idempotencyKey: string | undefined;
}

/** What a call may add; every method takes it last. */
export interface CallOptions {
  /** `If-Match`: a version number (sent as `"3"`) or an ETag as received. */
  ifMatch?: number | string;
  /** The key of this logical write (default: a new UUID per call, reused by its retries). */
  idempotencyKey?: string;
  /** Another bearer token for this call only. */
  token?: string;
  signal?: AbortSignal;
  /** Sees the successful answer's status and headers (`etag`, `location`, `x-request-id`, `idempotent-replayed`). */
  onResponse?: (response: ResponseInfo) => void;
}

export interface ResponseInfo {
  status: number;
  headers: Record<string, string>;
  /** `ETag` without its quotes, as a number when it is one (the record version). */
  version: number | undefined;
  requestId: string | undefined;
  attempts: number;
}

interface RequestInit {
  params?: Record<string, string | number>;
  query?: object;
  body?: unknown;
}

const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 250, maxDelayMs: 4000, maxRetryAfterMs: 30_000 };
/** Statuses that mean "try again": throttled, or the service (or what is behind it) failed or timed out. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * A typed client for both API families: one method per route, errors thrown as `ApiError`
 * subclasses carrying the family's envelope, and retries that are safe by construction. A write
 * gets one `Idempotency-Key` per logical call that every retry reuses, so a retry after a 502,
 * a 504 or a lost connection replays the first outcome instead of writing twice. Retries happen
 * on network errors, 429, 502, 503 and 504 (and on the 409 that says the same key is still in
 * progress), with exponential backoff and jitter, honouring `Retry-After`.
 */
export class SecretsClient {
  readonly baseUrl: string;
  private readonly options: ClientOptions;
  private readonly retry: RetryPolicy;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;

  constructor(options: ClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? nodeTransport();
  }

  /** Frees kept-alive connections (so a short-lived process can exit at once). */
  close(): void {
    if (this.ownsTransport) this.transport.close?.();
  }

  // ── User secrets (v1) ─────────────────────────────────

  createUserSecret(body: CreateUserSecretInput, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('createUserSecret', { body }, options);
  }
  createUserSecretFromPreset(body: CreateFromPresetInput, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('createUserSecretFromPreset', { body }, options);
  }
  listUserSecrets(query?: PageQuery, options?: CallOptions): Promise<UserSecretList> {
    return this.call('listUserSecrets', { query }, options);
  }
  getUserSecret(id: string, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('getUserSecret', { params: { id } }, options);
  }
  updateUserSecret(id: string, body: UpdateUserSecretInput, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('updateUserSecret', { params: { id }, body }, options);
  }
  deleteUserSecret(id: string, options?: CallOptions): Promise<void> {
    return this.call('deleteUserSecret', { params: { id } }, options);
  }
  /** Every value of the caller's secrets; needs a token with the `secrets:inject` scope. */
  injectUserSecrets(options?: CallOptions): Promise<InjectedEnv> {
    return this.call('injectUserSecrets', {}, options);
  }
  listUserAudit(query?: PageQuery, options?: CallOptions): Promise<UserAuditList> {
    return this.call('listUserAudit', { query }, options);
  }
  listUserSecretVersions(id: string, query?: PageQuery, options?: CallOptions): Promise<UserSecretVersionList> {
    return this.call('listUserSecretVersions', { params: { id }, query }, options);
  }
  restoreUserSecretVersion(id: string, version: number, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('restoreUserSecretVersion', { params: { id, version } }, options);
  }
  listDeletedUserSecrets(query?: PageQuery, options?: CallOptions): Promise<DeletedUserSecretList> {
    return this.call('listDeletedUserSecrets', { query }, options);
  }
  restoreDeletedUserSecret(id: string, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('restoreDeletedUserSecret', { params: { id } }, options);
  }
  purgeDeletedUserSecret(id: string, options?: CallOptions): Promise<void> {
    return this.call('purgeDeletedUserSecret', { params: { id } }, options);
  }
  compareUserSecret(id: string, body: CompareUserSecretInput, options?: CallOptions): Promise<CompareResult> {
    return this.call('compareUserSecret', { params: { id }, body }, options);
  }
  renameUserSecret(id: string, body: RenameUserSecretInput, options?: CallOptions): Promise<UserSecretMetadata> {
    return this.call('renameUserSecret', { params: { id }, body }, options);
  }

  // ── Environments ──────────────────────────────────────

  createEnvironment(body: CreateEnvironmentInput, options?: CallOptions): Promise<Environment> {
    return this.call('createEnvironment', { body }, options);
  }
  listEnvironments(query?: PageQuery, options?: CallOptions): Promise<EnvironmentList> {
    return this.call('listEnvironments', { query }, options);
  }
  listDeletedEnvironments(query?: PageQuery, options?: CallOptions): Promise<DeletedEnvironmentList> {
    return this.call('listDeletedEnvironments', { query }, options);
  }
  getEnvironment(id: string, options?: CallOptions): Promise<Environment> {
    return this.call('getEnvironment', { params: { id } }, options);
  }
  updateEnvironment(id: string, body: UpdateEnvironmentInput, options?: CallOptions): Promise<Environment> {
    return this.call('updateEnvironment', { params: { id }, body }, options);
  }
  deleteEnvironment(id: string, options?: CallOptions): Promise<void> {
    return this.call('deleteEnvironment', { params: { id } }, options);
  }
  restoreEnvironment(id: string, options?: CallOptions): Promise<Environment> {
    return this.call('restoreEnvironment', { params: { id } }, options);
  }
  listEnvironmentMembers(id: string, query?: PageQuery, options?: CallOptions): Promise<MemberList> {
    return this.call('listEnvironmentMembers', { params: { id }, query }, options);
  }
  putEnvironmentMember(id: string, userId: string, body: PutMemberInput, options?: CallOptions): Promise<Member> {
    return this.call('putEnvironmentMember', { params: { id, userId }, body }, options);
  }
  removeEnvironmentMember(id: string, userId: string, options?: CallOptions): Promise<void> {
    return this.call('removeEnvironmentMember', { params: { id, userId } }, options);
  }
  createEnvironmentSecret(
    id: string,
    body: CreateEnvironmentSecretInput,
    options?: CallOptions,
  ): Promise<SecretMetadata> {
    return this.call('createEnvironmentSecret', { params: { id }, body }, options);
  }
  listEnvironmentSecrets(id: string, query?: PageQuery, options?: CallOptions): Promise<EnvironmentSecretList> {
    return this.call('listEnvironmentSecrets', { params: { id }, query }, options);
  }
  getEnvironmentSecret(id: string, key: string, options?: CallOptions): Promise<SecretMetadata> {
    return this.call('getEnvironmentSecret', { params: { id, key } }, options);
  }
  updateEnvironmentSecret(
    id: string,
    key: string,
    body: UpdateEnvironmentSecretInput,
    options?: CallOptions,
  ): Promise<SecretMetadata> {
    return this.call('updateEnvironmentSecret', { params: { id, key }, body }, options);
  }
  deleteEnvironmentSecret(id: string, key: string, options?: CallOptions): Promise<void> {
    return this.call('deleteEnvironmentSecret', { params: { id, key } }, options);
  }
  /** One value, to an owner or editor; audited. */
  revealEnvironmentSecret(id: string, key: string, options?: CallOptions): Promise<RevealedValue> {
    return this.call('revealEnvironmentSecret', { params: { id, key } }, options);
  }
  listEnvironmentSecretVersions(
    id: string,
    key: string,
    query?: PageQuery,
    options?: CallOptions,
  ): Promise<EnvironmentSecretVersionList> {
    return this.call('listEnvironmentSecretVersions', { params: { id, key }, query }, options);
  }
  revealEnvironmentSecretVersion(
    id: string,
    key: string,
    version: number,
    options?: CallOptions,
  ): Promise<RevealedVersionValue> {
    return this.call('revealEnvironmentSecretVersion', { params: { id, key, version } }, options);
  }
  restoreEnvironmentSecretVersion(
    id: string,
    key: string,
    version: number,
    options?: CallOptions,
  ): Promise<SecretMetadata> {
    return this.call('restoreEnvironmentSecretVersion', { params: { id, key, version } }, options);
  }
  listDeletedEnvironmentSecrets(
    id: string,
    query?: PageQuery,
    options?: CallOptions,
  ): Promise<DeletedEnvironmentSecretList> {
    return this.call('listDeletedEnvironmentSecrets', { params: { id }, query }, options);
  }
  restoreDeletedEnvironmentSecret(id: string, key: string, options?: CallOptions): Promise<SecretMetadata> {
    return this.call('restoreDeletedEnvironmentSecret', { params: { id, key } }, options);
  }
  purgeDeletedEnvironmentSecret(id: string, key: string, options?: CallOptions): Promise<void> {
    return this.call('purgeDeletedEnvironmentSecret', { params: { id, key } }, options);
  }
  compareEnvironmentSecret(
    id: string,
    key: string,
    body: CompareEnvironmentSecretInput,
    options?: CallOptions,
  ): Promise<CompareResult> {
    return this.call('compareEnvironmentSecret', { params: { id, key }, body }, options);
  }
  /** The copy's metadata in the target environment. */
  copyEnvironmentSecret(
    id: string,
    key: string,
    body: CopyEnvironmentSecretInput,
    options?: CallOptions,
  ): Promise<SecretMetadata> {
    return this.call('copyEnvironmentSecret', { params: { id, key }, body }, options);
  }
  /** Every value of one environment; needs a member's token with the `secrets:inject` scope. */
  injectEnvironmentSecrets(id: string, options?: CallOptions): Promise<InjectedEnv> {
    return this.call('injectEnvironmentSecrets', { params: { id } }, options);
  }
  listEnvironmentAudit(id: string, query?: PageQuery, options?: CallOptions): Promise<EnvironmentAuditList> {
    return this.call('listEnvironmentAudit', { params: { id }, query }, options);
  }
  /** The answer holds `token`, shown this once. */
  createServiceToken(id: string, body: CreateServiceTokenInput, options?: CallOptions): Promise<CreatedServiceToken> {
    return this.call('createServiceToken', { params: { id }, body }, options);
  }
  listServiceTokens(id: string, query?: PageQuery, options?: CallOptions): Promise<ServiceTokenList> {
    return this.call('listServiceTokens', { params: { id }, query }, options);
  }
  revokeServiceToken(id: string, tokenId: string, options?: CallOptions): Promise<void> {
    return this.call('revokeServiceToken', { params: { id, tokenId } }, options);
  }
  /** The values of the environment a service token (`sst_…`) belongs to: the client's token, or `options.token`. */
  injectWithServiceToken(options?: CallOptions): Promise<InjectedEnv> {
    return this.call('injectWithServiceToken', {}, options);
  }

  // ── The engine ────────────────────────────────────────

  /** One logical call: its attempts share the request (and the `Idempotency-Key` of a write). */
  async call<T>(name: OperationName, init: RequestInit, options: CallOptions = {}): Promise<T> {
    const operation = OPERATIONS[name];
    const path = fillPath(operation.path, init.params ?? {});
    const url = new URL(this.baseUrl + path + queryString(init.query));
    const family: ApiFamily = path.startsWith('/api/v1/') ? 'v1' : 'environments';
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.token ?? (await this.token());
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    if (this.options.clientVersion) headers['x-client-version'] = this.options.clientVersion;
    if (options.ifMatch !== undefined) headers['if-match'] = formatIfMatch(options.ifMatch);
    const idempotencyKey = operation.idempotent ? (options.idempotencyKey ?? randomUUID()) : undefined;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }

    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let attempt = 1; ; attempt++) {
      let failure: ApiError | NetworkError;
      try {
        const response = await this.transport({
          method: operation.method,
          url,
          headers,
          body,
          timeoutMs: this.options.timeoutMs ?? 30_000,
          signal: options.signal,
        });
        if (response.status >= 200 && response.status < 300) {
          options.onResponse?.({
            status: response.status,
            headers: response.headers,
            version: versionOf(response.headers.etag),
            requestId: response.headers['x-request-id'],
            attempts: attempt,
          });
          return (response.body ? JSON.parse(response.body) : undefined) as T;
        }
        failure = apiErrorFor({
          status: response.status,
          family,
          envelope: envelopeOf(family, response.status, response.body, response.headers),
          method: operation.method,
          path,
          headers: response.headers,
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failure = new NetworkError({
          method: operation.method,
          path,
          url: url.toString(),
          cause: error,
          timedOut: error instanceof TimeoutError,
        });
      }
      const delayMs = this.retryDelay(failure, attempt, idempotencyKey !== undefined);
      if (delayMs === undefined) throw failure;
      this.options.onRetry?.({ operation: name, attempt, delayMs, error: failure, idempotencyKey });
      await sleep(delayMs);
    }
  }

  /** How long to wait before the next attempt, or `undefined` to give up with this failure. */
  private retryDelay(failure: ApiError | NetworkError, attempt: number, keyed: boolean): number | undefined {
    if (attempt > this.retry.retries) return undefined;
    if (!(failure instanceof NetworkError)) {
      // The 409 of a key whose first attempt is still running (it comes with Retry-After) is
      // only ever our own earlier attempt: wait for it and receive its response.
      const inProgress = keyed && attempt > 1 && failure.status === 409 && failure.retryAfterSeconds !== undefined;
      if (!RETRYABLE_STATUSES.has(failure.status) && !inProgress) return undefined;
      if (failure.retryAfterSeconds !== undefined) {
        const ms = Math.ceil(failure.retryAfterSeconds * 1000);
        return ms > this.retry.maxRetryAfterMs ? undefined : ms;
      }
    }
    const exponential = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exponential / 2 + (Math.random() * exponential) / 2);
  }

  private async token(): Promise<string | undefined> {
    const { token } = this.options;
    return typeof token === 'function' ? await token() : token;
  }
}

function fillPath(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: object | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

function formatIfMatch(value: number | string): string {
  return typeof value === 'number' ? `"${value}"` : value;
}

function versionOf(etag: string | undefined): number | undefined {
  if (!etag) return undefined;
  const version = Number(etag.replace(/^W\//, '').replace(/^"|"$/g, ''));
  return Number.isInteger(version) ? version : undefined;
}

/** The envelope as sent, or — when the body is not one (a proxy's HTML page) — a stand-in in the family's shape. */
function envelopeOf(family: ApiFamily, status: number, body: string, headers: Record<string, string>): ErrorEnvelope {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (family === 'v1' && typeof parsed.code === 'number' && typeof parsed.detail === 'string') {
      return parsed as unknown as ErrorEnvelope;
    }
    if (family === 'environments' && typeof parsed.code === 'string' && typeof parsed.message === 'string') {
      return parsed as unknown as ErrorEnvelope;
    }
  } catch {
    // not JSON: described below
  }
  const detail = `HTTP ${status} without an error body from the service`;
  return family === 'v1'
    ? { code: status, detail, type: status >= 500 ? 'internal_error' : 'unknown_error' }
    : {
        code: status >= 500 ? 'INTERNAL_ERROR' : 'UNKNOWN_ERROR',
        message: detail,
        requestId: headers['x-request-id'] ?? '',
      };
}

/**
 * Every page of a list, following its cursor: `for await (const page of pages((q) => client.listUserSecrets(q)))`.
 */
export async function* pages<P extends { next_cursor?: string | null } | { nextCursor?: string | null }>(
  fetchPage: (query: PageQuery) => Promise<P>,
  limit = 100,
): AsyncGenerator<P> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor === undefined ? { limit } : { limit, cursor });
    yield page;
    const next = 'next_cursor' in page ? page.next_cursor : 'nextCursor' in page ? page.nextCursor : null;
    cursor = next ?? undefined;
  } while (cursor !== undefined);
}
