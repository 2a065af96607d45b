import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Keyring } from '../crypto/keyring.js';

/**
 * What domain operations are given, in one place: the table client, the settings and the
 * clock for metadata, plus the keyring for anything that seals or opens a value. Types only,
 * so domain code depends on these shapes and never on how a process builds them.
 */
export interface StoreDeps {
  ddb: DynamoDBDocumentClient;
  config: Config;
  clock: Clock;
}

/** Dependencies of operations that read or write values. */
export interface ValueDeps extends StoreDeps {
  keyring: Keyring;
}
