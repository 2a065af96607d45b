import { loadConfig } from './config.js';
import { createKeyring } from './crypto/keyring.js';
import { createKmsClient } from './crypto/kms.js';
import type { StoreDeps, ValueDeps } from './secrets/user-secrets.js';
import { createDocumentClient } from './store/dynamodb.js';

/**
 * Process-wide dependencies, built once from the environment on first use and shared by
 * every invocation (and, on the local gateway, by every route). Routes that only touch
 * metadata ask for `storeDeps` and never load KMS.
 */
let store: StoreDeps | undefined;
let values: ValueDeps | undefined;

export function storeDeps(): StoreDeps {
  if (!store) {
    const config = loadConfig();
    store = { config, ddb: createDocumentClient(config) };
  }
  return store;
}

export function valueDeps(): ValueDeps {
  if (!values) {
    const { config, ddb } = storeDeps();
    values = { config, ddb, keyring: createKeyring({ ddb, config, kms: createKmsClient(config) }) };
  }
  return values;
}
