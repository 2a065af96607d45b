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
  /** The token's claims, or why it is refused (said back to the caller in `WWW-Authenticate`). */
  verify(token: string): Promise<{ claims: JWTPayload } | { refused: string }>;
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
    verify: async (token) => {
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          algorithms: ['RS256'],
          requiredClaims: ['sub', 'exp'],
        });
        // The service keys every tenant by `sub`; a number or object there is no identity.
        if (typeof payload.sub !== 'string') return { refused: 'the sub claim is not a string' };
        return { claims: payload };
      } catch (error) {
        return { refused: refusal(error) };
      }
    },
    jwks: async () => ({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }),
  };
}

const CLAIM_REFUSALS: Record<string, string> = {
  nbf: 'the token is not yet valid',
  aud: 'the token is for another audience',
  iss: 'the token is from another issuer',
};

/** Why jose refused a token, in words that name no key material. */
function refusal(error: unknown): string {
  const { code, claim } = error as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return CLAIM_REFUSALS[claim ?? ''] ?? `the token's ${claim} claim is missing or invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is not signed with RS256';
    default:
      return 'the token is malformed';
  }
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
