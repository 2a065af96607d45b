import type { APIGatewayProxyStructuredResultV2 as HttpResult } from 'aws-lambda';
import type { Environment, SecretMetadata } from '../environments/schemas.js';
import { etag, json } from './responses.js';

const ENVIRONMENTS = '/api/environments';

export function environmentCreated(environment: Environment): HttpResult {
  return json(201, environment, { location: `${ENVIRONMENTS}/${environment.id}` });
}

export function environmentResponse(environment: Environment): HttpResult {
  return json(200, environment);
}

/** Secret metadata with its version as ETag, for a later `If-Match`. */
export function secretResponse(secret: SecretMetadata): HttpResult {
  return json(200, secret, { etag: etag(secret.version) });
}

export function secretCreated(environmentId: string, secret: SecretMetadata): HttpResult {
  return json(201, secret, {
    etag: etag(secret.version),
    location: `${ENVIRONMENTS}/${environmentId}/secrets/${secret.key}`,
  });
}
