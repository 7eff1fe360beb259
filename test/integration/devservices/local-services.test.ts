import { CreateKeyCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { localAwsAccount } from '../../../src/devservices/index.js';
import { type TestDatabase, testDatabase } from '../../support/db.js';

describe('local services started by the test setup', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await testDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('serves MongoDB commands with a unique index on 127.0.0.1', async () => {
    const things = database.db.collection<{ _id: string; n: number }>('things');
    await things.createIndexes([{ key: { n: 1 }, unique: true }]);
    await things.insertOne({ _id: 'a', n: 1 });

    await expect(things.insertOne({ _id: 'b', n: 1 })).rejects.toMatchObject({ code: 11000 });
    expect(await things.countDocuments()).toBe(1);
  });

  it('reaches KMS through the SDK endpoint variable, in the local account', async () => {
    expect(process.env.AWS_ENDPOINT_URL_KMS).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const kms = new KMSClient({});
    const key = await kms.send(new CreateKeyCommand({ Description: 'probe' }));
    const dataKey = await kms.send(
      new GenerateDataKeyCommand({ KeyId: key.KeyMetadata?.KeyId, KeySpec: 'AES_256' }),
    );

    expect(key.KeyMetadata?.Arn).toContain(`:${localAwsAccount}:key/`);
    expect(dataKey.Plaintext).toHaveLength(32);
  });

  it('reaches STS through the SDK endpoint variable', async () => {
    const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));

    expect(identity.Account).toBe(localAwsAccount);
  });
});
