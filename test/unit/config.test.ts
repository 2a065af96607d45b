import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';

describe('service configuration', () => {
  it('falls back to its defaults for every unset variable', () => {
    expect(loadConfig({})).toEqual({
      region: 'us-east-1',
      tableName: 'secrets-service',
      dynamoDbEndpoint: undefined,
      kmsEndpoint: undefined,
      kmsKeyId: 'alias/secrets-service',
      dataKeyCacheMs: 300_000,
      auditRetentionDays: 90,
      maxVersions: 20,
      recoveryWindowDays: 7,
      upstreamTimeoutMs: 3000,
      eventBusName: 'secrets-rotation',
      keyMaxAgeDays: 90,
      secretMaxAgeDays: 90,
      quota: { maxSecrets: 1000, maxValueBytes: 4 * 1024 * 1024 },
    });
  });

  it('reads numbers from their strings, up to and including their bounds', () => {
    const config = loadConfig({
      MAX_VERSIONS: '100',
      DATA_KEY_CACHE_SECONDS: '0',
      RECOVERY_WINDOW_DAYS: '30',
      UPSTREAM_TIMEOUT_MS: '100',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      TABLE_NAME: 'abc',
    });
    expect(config).toMatchObject({
      maxVersions: 100,
      dataKeyCacheMs: 0,
      recoveryWindowDays: 30,
      upstreamTimeoutMs: 100,
      dynamoDbEndpoint: 'http://127.0.0.1:8000',
      tableName: 'abc',
    });
  });

  it.each([
    [{ MAX_VERSIONS: '0' }, 'MAX_VERSIONS'],
    [{ MAX_VERSIONS: '101' }, 'MAX_VERSIONS'],
    [{ MAX_VERSIONS: '1.5' }, 'MAX_VERSIONS'],
    [{ MAX_VERSIONS: 'twenty' }, 'MAX_VERSIONS'],
    [{ DATA_KEY_CACHE_SECONDS: '301' }, 'DATA_KEY_CACHE_SECONDS'],
    [{ UPSTREAM_TIMEOUT_MS: '99' }, 'UPSTREAM_TIMEOUT_MS'],
    [{ TABLE_NAME: 'ab' }, 'TABLE_NAME'],
    [{ KMS_KEY_ID: '' }, 'KMS_KEY_ID'],
    [{ KMS_ENDPOINT: 'not a url' }, 'KMS_ENDPOINT'],
  ])('refuses %j, naming the variable and never its value', (env, name) => {
    expect(() => loadConfig(env)).toThrow(`Invalid service configuration in: ${name}`);
  });

  it('names every variable out of bounds at once', () => {
    expect(() => loadConfig({ MAX_VERSIONS: '0', RECOVERY_WINDOW_DAYS: '31' })).toThrow(
      'Invalid service configuration in: MAX_VERSIONS, RECOVERY_WINDOW_DAYS',
    );
  });
});
