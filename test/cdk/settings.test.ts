import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_JWT_ISSUER, readSettings, refusePlaceholderIssuer } from '../../infra/cdk/settings.js';

const KEY_1 = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_2 = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const sourceKeys = (value: unknown) =>
  readSettings(new App({ context: { rotationSourceKeyArns: value } }).node, {}).rotationSourceKeyArns;

describe('rotationSourceKeyArns', () => {
  it('is empty unless set', () => {
    expect(readSettings(new App().node, {}).rotationSourceKeyArns).toEqual([]);
    expect(sourceKeys('')).toEqual([]);
  });

  it('takes a list (cdk.json) or a comma-separated string (-c), without duplicates', () => {
    expect(sourceKeys([KEY_1, KEY_2])).toEqual([KEY_1, KEY_2]);
    expect(sourceKeys(` ${KEY_1} , ${KEY_2},${KEY_1}`)).toEqual([KEY_1, KEY_2]);
  });

  it('rejects anything but KMS key ARNs', () => {
    expect(() => sourceKeys('arn:aws:kms:eu-west-1:111122223333:alias/secrets-service')).toThrow(
      /not KMS key ARNs: arn:aws:kms:eu-west-1:111122223333:alias/,
    );
    expect(() => sourceKeys(['1234abcd-12ab-34cd-56ef-1234567890ab'])).toThrow(/not KMS key ARNs/);
    expect(() => sourceKeys([42])).toThrow(/must be a list of KMS key ARNs/);
    expect(() => sourceKeys({ arn: KEY_1 })).toThrow(/must be a list of KMS key ARNs/);
  });
});

describe('operations settings', () => {
  const settings = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
    readSettings(new App({ context }).node, env);
  const ROLE = 'arn:aws:iam::111122223333:role/security/KeyAdministrators';

  it('reads alarm emails and key administrator roles from the context or the environment', () => {
    expect(settings({}).alarmEmails).toEqual([]);
    expect(settings({ alarmEmail: 'a@example.org, b@example.org' }).alarmEmails).toEqual([
      'a@example.org',
      'b@example.org',
    ]);
    expect(settings({}, { ALARM_EMAIL: 'oncall@example.org' }).alarmEmails).toEqual(['oncall@example.org']);
    expect(settings({ keyAdminRoleArns: [ROLE] }).keyAdminRoleArns).toEqual([ROLE]);
    expect(settings({}, { KEY_ADMIN_ROLE_ARNS: ROLE }).keyAdminRoleArns).toEqual([ROLE]);
  });

  it('refuses what is not an email address or a role ARN', () => {
    expect(() => settings({ alarmEmail: 'oncall' })).toThrow(/alarmEmail: not email addresses: oncall/);
    expect(() => settings({ keyAdminRoleArns: 'arn:aws:iam::111122223333:user/alice' })).toThrow(
      /keyAdminRoleArns: not IAM role ARNs/,
    );
  });

  it('takes true/false flags, off unless set', () => {
    expect(settings({})).toMatchObject({ allowPlaceholderJwtIssuer: false, ignoreRollbackAlarms: false });
    expect(settings({ allowPlaceholderJwtIssuer: 'true', ignoreRollbackAlarms: true })).toMatchObject({
      allowPlaceholderJwtIssuer: true,
      ignoreRollbackAlarms: true,
    });
    expect(() => settings({ ignoreRollbackAlarms: 'yes' })).toThrow(/ignoreRollbackAlarms must be true or false/);
  });
});

describe('refusePlaceholderIssuer', () => {
  const rulesOf = (context: Record<string, unknown>) => {
    const app = new App({ context });
    const stack = new Stack(app, 'Api');
    refusePlaceholderIssuer(stack, readSettings(app.node, {}));
    return Template.fromStack(stack).toJSON().Rules ?? {};
  };

  it('makes CloudFormation refuse a deployment with the placeholder issuer', () => {
    const rules = rulesOf({});
    expect(rules.RefusePlaceholderJwtIssuer).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [PLACEHOLDER_JWT_ISSUER, PLACEHOLDER_JWT_ISSUER] }] },
          AssertDescription: expect.stringMatching(/placeholder.*-c jwtIssuer=.*allowPlaceholderJwtIssuer=true/),
        },
      ],
    });
  });

  it('adds nothing with a real issuer, or when the placeholder is explicitly allowed', () => {
    expect(rulesOf({ jwtIssuer: 'https://auth.example.org/' })).not.toHaveProperty('RefusePlaceholderJwtIssuer');
    expect(rulesOf({ allowPlaceholderJwtIssuer: true })).not.toHaveProperty('RefusePlaceholderJwtIssuer');
  });
});
