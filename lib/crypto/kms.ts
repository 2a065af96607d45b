import { KMSClient } from '@aws-sdk/client-kms';
import type { Config } from '../config.js';

/** A KMS client for the configured endpoint; create once per process and reuse. */
export function createKmsClient(config: Config): KMSClient {
  return new KMSClient({
    region: config.region,
    endpoint: config.kmsEndpoint,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1000, requestTimeout: config.upstreamTimeoutMs },
  });
}

/** KMS encryption context of a tenant's data key; IAM conditions match on `tenant`. */
export function dataKeyContext(tenant: string): Record<string, string> {
  return { tenant };
}
