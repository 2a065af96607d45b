import type { APIGatewayProxyStructuredResultV2 as HttpResult } from 'aws-lambda';
import type { VersionedMetadata } from '../secrets/user-secrets.js';
import { etag, json } from './responses.js';

export function withEtag({ metadata, version }: VersionedMetadata, status = 200): HttpResult {
  return json(status, metadata, { etag: etag(version) });
}

export function created(secret: VersionedMetadata): HttpResult {
  const response = withEtag(secret, 201);
  response.headers = { ...response.headers, location: `/api/v1/user/secrets/${secret.metadata.id}` };
  return response;
}
