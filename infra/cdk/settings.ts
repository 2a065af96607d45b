import { CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import type { Node } from 'constructs';

/**
 * Deploy-time settings, from CDK context (`-c jwtIssuer=…`) or else the environment
 * (`JWT_ISSUER=…`). The JWT placeholders only let `cdk synth` run without setup: a deploy
 * with the placeholder issuer would reject every token, so the API stack carries a rule that
 * makes CloudFormation refuse it (refusePlaceholderIssuer) unless `allowPlaceholderJwtIssuer`.
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
  /** Addresses subscribed to the alarm topic (each confirms once); none leaves subscribing to you. */
  alarmEmails: string[];
  /**
   * IAM roles (of the deployment account) that may administer the service's KMS keys but
   * never use them. The CloudFormation execution role of the CDK bootstrap always may.
   */
  keyAdminRoleArns: string[];
  /** Lets a deployment through with the placeholder issuer (an API that rejects every token). */
  allowPlaceholderJwtIssuer: boolean;
  /**
   * Canary deployments shift traffic but do not roll back on alarms. For shipping a fix while
   * a 5xx alarm is already firing, which would otherwise roll the fix back.
   */
  ignoreRollbackAlarms: boolean;
}

/** A KMS key ARN: an IAM statement on an alias ARN would not cover requests made with the key itself. */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** An IAM role ARN, with or without a path. */
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

export function readSettings(node: Node, env: NodeJS.ProcessEnv = process.env): ServiceSettings {
  const read = (contextKey: string, envKey: string): string | undefined => {
    const value = node.tryGetContext(contextKey) ?? env[envKey];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const readList = (contextKey: string, envKey: string, pattern: RegExp, what: string): string[] =>
    checkedList(node.tryGetContext(contextKey) ?? env[envKey], contextKey, pattern, what);
  return {
    jwtIssuer: read('jwtIssuer', 'JWT_ISSUER') ?? PLACEHOLDER_JWT_ISSUER,
    jwtAudience: read('jwtAudience', 'JWT_AUDIENCE') ?? PLACEHOLDER_JWT_AUDIENCE,
    minClientVersion: read('minClientVersion', 'MIN_CLIENT_VERSION'),
    rotationSourceKeyArns: checkedList(
      node.tryGetContext('rotationSourceKeyArns'),
      'rotationSourceKeyArns',
      KMS_KEY_ARN,
      'KMS key ARNs',
    ),
    alarmEmails: readList('alarmEmail', 'ALARM_EMAIL', EMAIL, 'email addresses'),
    keyAdminRoleArns: readList('keyAdminRoleArns', 'KEY_ADMIN_ROLE_ARNS', IAM_ROLE_ARN, 'IAM role ARNs'),
    allowPlaceholderJwtIssuer: flag(node.tryGetContext('allowPlaceholderJwtIssuer'), 'allowPlaceholderJwtIssuer'),
    ignoreRollbackAlarms: flag(node.tryGetContext('ignoreRollbackAlarms'), 'ignoreRollbackAlarms'),
  };
}

/** A list in cdk.json, or a comma-separated string from `-c` or the environment; no duplicates. */
function checkedList(value: unknown, name: string, pattern: RegExp, what: string): string[] {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  if (!items || items.some((item) => typeof item !== 'string')) throw new Error(`${name} must be a list of ${what}`);
  const values = [...new Set((items as string[]).map((item) => item.trim()).filter((item) => item !== ''))];
  const invalid = values.filter((item) => !pattern.test(item));
  if (invalid.length > 0) throw new Error(`${name}: not ${what}: ${invalid.join(', ')}`);
  return values;
}

/** `true` from cdk.json, or the string `true` from `-c`; anything else but false/absent is refused. */
function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`${name} must be true or false`);
}

/**
 * `cdk synth` must work without setup, so the app cannot refuse the placeholder issuer
 * itself; the template does instead. CloudFormation evaluates a template's rules before it
 * changes anything, so this rule (an assertion that is false while the issuer is the
 * placeholder) makes every `cdk deploy` of the stack fail up front with its description. It
 * is left out when the issuer is real or the placeholder was explicitly allowed.
 */
export function refusePlaceholderIssuer(stack: Stack, settings: ServiceSettings): CfnRule | undefined {
  if (settings.jwtIssuer !== PLACEHOLDER_JWT_ISSUER || settings.allowPlaceholderJwtIssuer) return undefined;
  return new CfnRule(stack, 'RefusePlaceholderJwtIssuer', {
    assertions: [
      {
        assert: Fn.conditionNot(Fn.conditionEquals(settings.jwtIssuer, PLACEHOLDER_JWT_ISSUER)),
        assertDescription:
          'The JWT issuer is the placeholder, so the API would reject every token. Deploy with -c jwtIssuer=… (or JWT_ISSUER), or -c allowPlaceholderJwtIssuer=true to deploy it anyway.',
      },
    ],
  });
}
