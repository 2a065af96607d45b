import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';

/**
 * The local stand-in for the identity provider: an RS256 key pair kept under the data
 * directory (private key mode 0600) that signs dev tokens and verifies them the way the
 * API Gateway JWT authorizer does — signature, issuer, audience, expiry; never `alg: none`.
 */
export const LOCAL_ISSUER = 'https://auth.secrets.local/';
export const LOCAL_AUDIENCE = 'secrets-api';

export interface DevIssuer {
  sign(claims: { sub: string; scope?: string; ttlSeconds?: number }): Promise<string>;
  verify(token: string): Promise<JWTPayload>;
  jwks(): Promise<{ keys: Record<string, unknown>[] }>;
}

export function loadDevIssuer(dataDir: string): DevIssuer {
  const { privateKey, publicKey } = loadKeyPair(join(dataDir, 'jwt'));
  const kid = 'local-dev-1';
  return {
    sign: ({ sub, scope, ttlSeconds = 3600 }) =>
      new SignJWT(scope ? { scope } : {})
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(privateKey),
    verify: async (token) =>
      (
        await jwtVerify(token, publicKey, {
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          algorithms: ['RS256'],
          requiredClaims: ['sub', 'exp'],
        })
      ).payload,
    jwks: async () => ({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }),
  };
}

function loadKeyPair(dir: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const file = join(dir, 'signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(file));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
