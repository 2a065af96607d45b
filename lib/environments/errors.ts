import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../errors.js';

/** The environments API's own answers, each with its stable code. Messages name keys, never values. */

export const environmentNotFound = (): NotFoundError =>
  new NotFoundError('Environment not found', {
    code: 'ENVIRONMENT_NOT_FOUND',
    hint: 'Check the id; an environment you are not a member of is not found either.',
  });

export const environmentNotDeleted = (): ConflictError =>
  new ConflictError('This environment is not deleted', {
    code: 'ENVIRONMENT_NOT_DELETED',
    hint: 'Only an environment listed by GET /api/environments/deleted can be restored.',
  });

export const roleForbids = (role: string, allowed: readonly string[]): ForbiddenError =>
  new ForbiddenError(`Your role ${role} does not allow this action`, {
    code: 'FORBIDDEN',
    hint: `This needs the role ${allowed.join(' or ')}; ask an owner of the environment.`,
  });

export const memberNotFound = (userId: string): NotFoundError =>
  new NotFoundError(`User ${userId} is not a member of this environment`, { code: 'MEMBER_NOT_FOUND' });

export const lastOwner = (): ConflictError =>
  new ConflictError('An environment must keep at least one owner', {
    code: 'LAST_OWNER',
    hint: 'Make another member an owner first.',
  });

export const secretNotFound = (key: string): NotFoundError =>
  new NotFoundError(`This environment has no secret ${key}`, { code: 'SECRET_NOT_FOUND' });

export const secretExists = (key: string): ConflictError =>
  new ConflictError(`This environment already has a secret ${key}`, {
    code: 'SECRET_EXISTS',
    field: 'key',
    hint: 'Change the existing secret with PATCH, or choose another key.',
  });

export const secretInTrash = (environmentId: string, key: string): ConflictError =>
  new ConflictError(`A deleted secret ${key} of this environment is in the trash`, {
    code: 'SECRET_DELETED',
    field: 'key',
    hint: `Restore it with POST /api/environments/${environmentId}/deleted-secrets/${key}/restore, or (owners) purge it with DELETE /api/environments/${environmentId}/deleted-secrets/${key}.`,
  });

export const versionNotFound = (key: string, version: number): NotFoundError =>
  new NotFoundError(`Secret ${key} keeps no version ${version}`, {
    code: 'VERSION_NOT_FOUND',
    hint: 'GET …/secrets/{key}/versions lists the versions it keeps.',
  });

export const neverRevealIsOneWay = (): BadRequestError =>
  new BadRequestError('Field "neverReveal" cannot be turned off once it is set.', {
    code: 'READONLY_FIELD',
    field: 'neverReveal',
    hint: 'neverReveal is one-way, so a value kept from people stays that way. To make it revealable, delete the secret, purge it from the trash, and create it again with the value.',
  });

export const secretNeverReveal = (key: string): ForbiddenError =>
  new ForbiddenError(`Secret ${key} is marked neverReveal: it is only injected into runtimes`, {
    code: 'SECRET_NEVER_REVEAL',
    hint: 'Runtimes receive it from GET /api/environments/{id}/env with a secrets:inject token.',
  });
