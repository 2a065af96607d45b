/**
 * Every route of both API families as the client calls it: one operation per entry of
 * `infra/routes.ts`, named after its function directory in camelCase (a test holds the two
 * tables together). `idempotent` marks the writes that take an `Idempotency-Key`.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Operation {
  method: HttpMethod;
  path: string;
  /** A write the service deduplicates by `Idempotency-Key`, so a retry can never apply it twice. */
  idempotent: boolean;
  /** Called with an environment's service token (`sst_…`) rather than a person's JWT. */
  serviceToken?: boolean;
}

const USER = '/api/v1/user/secrets';
const ENVS = '/api/environments';
const ENV_SECRETS = `${ENVS}/{id}/secrets`;

const read = (path: string): Operation => ({ method: 'GET', path, idempotent: false });
const write = (method: Exclude<HttpMethod, 'GET'>, path: string): Operation => ({ method, path, idempotent: true });

export const OPERATIONS = {
  // User secrets (v1)
  createUserSecret: write('POST', USER),
  createUserSecretFromPreset: write('POST', `${USER}/preset`),
  listUserSecrets: read(USER),
  listUserAudit: read('/api/v1/user/audit'),
  injectUserSecrets: read(`${USER}/env`),
  listDeletedUserSecrets: read(`${USER}/deleted`),
  restoreDeletedUserSecret: write('POST', `${USER}/deleted/{id}/restore`),
  purgeDeletedUserSecret: write('DELETE', `${USER}/deleted/{id}`),
  listUserSecretVersions: read(`${USER}/{id}/versions`),
  restoreUserSecretVersion: write('POST', `${USER}/{id}/versions/{version}/restore`),
  // A comparison writes nothing (but an audit event), so it takes no Idempotency-Key.
  compareUserSecret: { method: 'POST', path: `${USER}/{id}/compare`, idempotent: false },
  renameUserSecret: write('POST', `${USER}/{id}/rename`),
  getUserSecret: read(`${USER}/{id}`),
  updateUserSecret: write('PUT', `${USER}/{id}`),
  deleteUserSecret: write('DELETE', `${USER}/{id}`),
  // Environments
  createEnvironment: write('POST', ENVS),
  listEnvironments: read(ENVS),
  listDeletedEnvironments: read(`${ENVS}/deleted`),
  updateEnvironment: write('PATCH', `${ENVS}/{id}`),
  deleteEnvironment: write('DELETE', `${ENVS}/{id}`),
  restoreEnvironment: write('POST', `${ENVS}/{id}/restore`),
  getEnvironment: read(`${ENVS}/{id}`),
  listEnvironmentMembers: read(`${ENVS}/{id}/members`),
  putEnvironmentMember: write('PUT', `${ENVS}/{id}/members/{userId}`),
  removeEnvironmentMember: write('DELETE', `${ENVS}/{id}/members/{userId}`),
  createEnvironmentSecret: write('POST', ENV_SECRETS),
  listEnvironmentSecrets: read(ENV_SECRETS),
  getEnvironmentSecret: read(`${ENV_SECRETS}/{key}`),
  updateEnvironmentSecret: write('PATCH', `${ENV_SECRETS}/{key}`),
  deleteEnvironmentSecret: write('DELETE', `${ENV_SECRETS}/{key}`),
  listEnvironmentSecretVersions: read(`${ENV_SECRETS}/{key}/versions`),
  revealEnvironmentSecretVersion: read(`${ENV_SECRETS}/{key}/versions/{version}/value`),
  restoreEnvironmentSecretVersion: write('POST', `${ENV_SECRETS}/{key}/versions/{version}/restore`),
  listDeletedEnvironmentSecrets: read(`${ENVS}/{id}/deleted-secrets`),
  restoreDeletedEnvironmentSecret: write('POST', `${ENVS}/{id}/deleted-secrets/{key}/restore`),
  purgeDeletedEnvironmentSecret: write('DELETE', `${ENVS}/{id}/deleted-secrets/{key}`),
  compareEnvironmentSecret: { method: 'POST', path: `${ENV_SECRETS}/{key}/compare`, idempotent: false },
  copyEnvironmentSecret: write('POST', `${ENV_SECRETS}/{key}/copy`),
  revealEnvironmentSecret: read(`${ENV_SECRETS}/{key}/value`),
  injectEnvironmentSecrets: read(`${ENVS}/{id}/env`),
  createServiceToken: write('POST', `${ENVS}/{id}/tokens`),
  listServiceTokens: read(`${ENVS}/{id}/tokens`),
  revokeServiceToken: write('DELETE', `${ENVS}/{id}/tokens/{tokenId}`),
  injectWithServiceToken: { method: 'GET', path: '/api/service/env', idempotent: false, serviceToken: true },
  listEnvironmentAudit: read(`${ENVS}/{id}/audit`),
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
