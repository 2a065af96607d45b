import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * A local KMS endpoint speaking the KMS JSON 1.1 protocol (`X-Amz-Target: TrentService.<Op>`),
 * so `@aws-sdk/client-kms` runs unmodified against it. Master keys live in one file created
 * with mode 0600; key material is never printed. Ciphertext blobs are AES-256-GCM under a
 * master key with the encryption context as AAD, so a wrong context fails like real KMS.
 */
export const LOCAL_ACCOUNT = '000000000000';
export const DEFAULT_KEY_ALIAS = 'alias/secrets-service';

interface KeyStoreFile {
  keys: Record<string, { material: string; createdAt: string }>;
  aliases: Record<string, string>;
}

export type KmsOperation =
  | 'GenerateDataKey'
  | 'Decrypt'
  | 'Encrypt'
  | 'ReEncrypt'
  | 'DescribeKey'
  | 'CreateKey'
  | 'CreateAlias';

export interface LocalKms {
  endpoint: string;
  /** Calls served per operation since start (or the last `resetCalls`). */
  calls: Record<string, number>;
  resetCalls(): void;
  close(): Promise<void>;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const BLOB_MAGIC = Buffer.from('LKMS1');

export async function startLocalKms(options: { keyFile: string; port?: number; region?: string }): Promise<LocalKms> {
  const region = options.region ?? 'us-east-1';
  const store = loadKeyStore(options.keyFile);
  const save = () => writeKeyStore(options.keyFile, store);
  const calls: Record<string, number> = {};

  const arn = (keyId: string) => `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${keyId}`;
  const resolve = (reference: unknown): string => {
    if (typeof reference !== 'string' || reference.length === 0)
      throw new KmsError('ValidationException', 'KeyId is required');
    const name = reference.replace(/^arn:aws:kms:[^:]*:[^:]*:/, '');
    const keyId = name.startsWith('alias/') ? store.aliases[name] : name.replace(/^key\//, '');
    if (!keyId || !store.keys[keyId]) throw new KmsError('NotFoundException', `Key '${reference}' does not exist`);
    return keyId;
  };
  const material = (keyId: string) => Buffer.from(store.keys[keyId]!.material, 'base64');

  const seal = (keyId: string, plaintext: Buffer, context: unknown): Buffer => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', material(keyId), iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([BLOB_MAGIC, Buffer.from(keyId, 'ascii'), iv, body, cipher.getAuthTag()]);
  };
  const open = (blob: unknown, context: unknown): { keyId: string; plaintext: Buffer } => {
    const bytes = typeof blob === 'string' ? Buffer.from(blob, 'base64') : Buffer.alloc(0);
    const keyId = bytes.subarray(BLOB_MAGIC.length, BLOB_MAGIC.length + 36).toString('ascii');
    if (
      !bytes.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC) ||
      !store.keys[keyId] ||
      bytes.length < BLOB_MAGIC.length + 36 + 28
    ) {
      throw new KmsError('InvalidCiphertextException', 'The ciphertext is invalid');
    }
    try {
      const start = BLOB_MAGIC.length + 36;
      const decipher = createDecipheriv('aes-256-gcm', material(keyId), bytes.subarray(start, start + 12));
      decipher.setAAD(contextAad(context));
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return {
        keyId,
        plaintext: Buffer.concat([decipher.update(bytes.subarray(start + 12, bytes.length - 16)), decipher.final()]),
      };
    } catch {
      throw new KmsError('InvalidCiphertextException', 'The ciphertext or encryption context is invalid');
    }
  };
  const checkExpectedKey = (expected: unknown, actual: string) => {
    if (expected !== undefined && resolve(expected) !== actual) {
      throw new KmsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify the key that encrypted the ciphertext',
      );
    }
  };

  const operations: Record<KmsOperation, (input: Record<string, unknown>) => Record<string, unknown>> = {
    GenerateDataKey: (input) => {
      const keyId = resolve(input.KeyId);
      const size = input.KeySpec === 'AES_128' ? 16 : input.KeySpec === 'AES_256' ? 32 : Number(input.NumberOfBytes);
      if (!Number.isInteger(size) || size < 1 || size > 1024)
        throw new KmsError('ValidationException', 'KeySpec or NumberOfBytes is required');
      const plaintext = randomBytes(size);
      return {
        KeyId: arn(keyId),
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: seal(keyId, plaintext, input.EncryptionContext).toString('base64'),
      };
    },
    Encrypt: (input) => {
      const keyId = resolve(input.KeyId);
      const plaintext = Buffer.from(String(input.Plaintext ?? ''), 'base64');
      if (plaintext.length < 1 || plaintext.length > 4096)
        throw new KmsError('ValidationException', 'Plaintext must be 1 to 4096 bytes');
      return {
        KeyId: arn(keyId),
        CiphertextBlob: seal(keyId, plaintext, input.EncryptionContext).toString('base64'),
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    Decrypt: (input) => {
      const { keyId, plaintext } = open(input.CiphertextBlob, input.EncryptionContext);
      checkExpectedKey(input.KeyId, keyId);
      return { KeyId: arn(keyId), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },
    ReEncrypt: (input) => {
      const { keyId, plaintext } = open(input.CiphertextBlob, input.SourceEncryptionContext);
      checkExpectedKey(input.SourceKeyId, keyId);
      const destination = resolve(input.DestinationKeyId);
      return {
        SourceKeyId: arn(keyId),
        KeyId: arn(destination),
        CiphertextBlob: seal(destination, plaintext, input.DestinationEncryptionContext).toString('base64'),
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },
    DescribeKey: (input) => {
      const keyId = resolve(input.KeyId);
      return {
        KeyMetadata: {
          KeyId: keyId,
          Arn: arn(keyId),
          AWSAccountId: LOCAL_ACCOUNT,
          Enabled: true,
          KeyState: 'Enabled',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CreationDate: Date.parse(store.keys[keyId]!.createdAt) / 1000,
        },
      };
    },
    CreateKey: () => {
      const keyId = addKey(store);
      save();
      return {
        KeyMetadata: { KeyId: keyId, Arn: arn(keyId), Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT' },
      };
    },
    CreateAlias: (input) => {
      const alias = String(input.AliasName ?? '');
      if (!alias.startsWith('alias/')) throw new KmsError('ValidationException', 'AliasName must start with alias/');
      store.aliases[alias] = resolve(input.TargetKeyId);
      save();
      return {};
    },
  };

  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^TrentService\./, '') as KmsOperation;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const handler = operations[operation];
      if (req.method !== 'POST' || !target.startsWith('TrentService.') || !handler) {
        throw new KmsError('UnknownOperationException', `Operation ${target || '(none)'} is not supported`);
      }
      calls[operation] = (calls[operation] ?? 0) + 1;
      const input = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
        : {};
      reply(res, 200, handler(input));
    } catch (error) {
      const type =
        error instanceof KmsError
          ? error.type
          : error instanceof SyntaxError
            ? 'SerializationException'
            : 'KMSInternalException';
      reply(res, type === 'KMSInternalException' ? 500 : 400, {
        __type: type,
        message: error instanceof KmsError ? error.message : 'Request failed',
      });
    }
  }

  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    resetCalls: () => {
      for (const name of Object.keys(calls)) delete calls[name];
    },
    close: () => closeServer(server),
  };
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** KMS binds ciphertext to its encryption context regardless of key order. */
function contextAad(context: unknown): Buffer {
  const entries = context && typeof context === 'object' ? Object.entries(context as Record<string, string>) : [];
  return Buffer.from(JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function addKey(store: KeyStoreFile): string {
  const keyId = randomUUID();
  store.keys[keyId] = { material: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() };
  return keyId;
}

function loadKeyStore(file: string): KeyStoreFile {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KeyStoreFile;
  const store: KeyStoreFile = { keys: {}, aliases: {} };
  store.aliases[DEFAULT_KEY_ALIAS] = addKey(store);
  writeKeyStore(file, store);
  return store;
}

function writeKeyStore(file: string, store: KeyStoreFile) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(store), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
