import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../infra/cdk/settings.js';

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
