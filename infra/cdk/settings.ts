import type { Node } from 'constructs';

/**
 * Deploy-time settings, from CDK context (`-c jwtIssuer=…`) or else the environment
 * (`JWT_ISSUER=…`). The JWT placeholders only let `cdk synth` run without setup; a deploy
 * with them would reject every token, so the API stack warns when they are in use.
 */
export const PLACEHOLDER_JWT_ISSUER = 'https://issuer.example.com/';
export const PLACEHOLDER_JWT_AUDIENCE = 'secrets-service';

export interface ServiceSettings {
  jwtIssuer: string;
  jwtAudience: string;
  /** Clients sending an older `X-Client-Version` get 426; unset means no minimum. */
  minClientVersion?: string;
  /**
   * KMS keys that data keys may still be wrapped under after the data key was replaced by
   * another KMS key; the rotation function may re-wrap away from them (ReEncryptFrom only).
   * Context only: a list in cdk.json, or comma-separated with `-c`.
   */
  rotationSourceKeyArns: string[];
}

/** A KMS key ARN: an IAM statement on an alias ARN would not cover requests made with the key itself. */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export function readSettings(node: Node, env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const read = (contextKey: string, envKey: string): string | undefined => {
    const value = node.tryGetContext(contextKey) ?? env[envKey];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  return {
    jwtIssuer: read('jwtIssuer', 'JWT_ISSUER') ?? PLACEHOLDER_JWT_ISSUER,
    jwtAudience: read('jwtAudience', 'JWT_AUDIENCE') ?? PLACEHOLDER_JWT_AUDIENCE,
    minClientVersion: read('minClientVersion', 'MIN_CLIENT_VERSION'),
    rotationSourceKeyArns: keyArnList(node.tryGetContext('rotationSourceKeyArns'), 'rotationSourceKeyArns'),
  };
}

function keyArnList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items || items.some((item) => typeof item !== 'string'))
    throw new Error(`${name} must be a list of KMS key ARNs`);
  const arns = [...new Set((items as string[]).map((item) => item.trim()).filter((item) => item !== ''))];
  const invalid = arns.filter((arn) => !KMS_KEY_ARN.test(arn));
  if (invalid.length > 0) throw new Error(`${name}: not KMS key ARNs: ${invalid.join(', ')}`);
  return arns;
}
