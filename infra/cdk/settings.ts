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
}

export function readSettings(node: Node, env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const read = (contextKey: string, envKey: string): string | undefined => {
    const value = node.tryGetContext(contextKey) ?? env[envKey];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  return {
    jwtIssuer: read('jwtIssuer', 'JWT_ISSUER') ?? PLACEHOLDER_JWT_ISSUER,
    jwtAudience: read('jwtAudience', 'JWT_AUDIENCE') ?? PLACEHOLDER_JWT_AUDIENCE,
    minClientVersion: read('minClientVersion', 'MIN_CLIENT_VERSION'),
  };
}
