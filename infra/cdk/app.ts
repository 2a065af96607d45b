import { App } from 'aws-cdk-lib';
import { addSecretsStacks } from './secrets-app.js';

addSecretsStacks(new App());
