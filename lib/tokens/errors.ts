import { NotFoundError } from '../errors.js';

export const tokenNotFound = (tokenId: string): NotFoundError =>
  new NotFoundError(`This environment has no service token ${tokenId}`, {
    code: 'TOKEN_NOT_FOUND',
    hint: 'List the environment’s tokens with GET /api/environments/{id}/tokens.',
  });
