/**
 * The AWS side of key management: ARN parsing, the tenant's KMS key behind the KeyProvider
 * interface (reached through an assumed role), the platform's local default key, the policy
 * documents customers paste, and the mapping of AWS failures to project errors.
 */
export {
  type IamRoleArn,
  type KmsKeyArn,
  parseIamRoleArn,
  parseKmsKeyArn,
  type Partition,
  partitions,
} from './arn.js';
export {
  awsClientDefaults,
  type AwsClientOptions,
  AwsClients,
  type CredentialsSource,
  type RoleIdentity,
  type SessionCredentials,
} from './clients.js';
export {
  type AwsErrorFacts,
  awsErrorFacts,
  fromKmsError,
  fromStsError,
  isKmsInvalidState,
  type KmsFailureContext,
  pendingDeletionStates,
  type StsFailureContext,
} from './errors.js';
export {
  type EncryptionContext,
  type GeneratedDataKey,
  type KeyDescription,
  type KeyProvider,
  ProviderKind,
} from './key-provider.js';
export {
  type AwsKeyConfig,
  type AwsKeyProviders,
  type AwsKeyProvidersOptions,
  AwsKmsKeyProvider,
  type AwsKmsKeyProviderOptions,
  awsOptionsFromConfig,
  createAwsKeyProviders,
} from './kms-provider.js';
export {
  loadOrCreateMasterKey,
  LocalKeyProvider,
  type MasterKey,
  masterKeyFileName,
} from './local-key.js';
export * from './policies.js';
export {
  AssumedRoleCredentials,
  type AssumedRoleOptions,
  type AssumeRoleTarget,
  sessionNameFor,
} from './sts.js';
