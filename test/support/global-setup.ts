/**
 * Vitest global setup: starts FerretDB, local-kms and moto on 127.0.0.1 (or reuses those named
 * by MONGODB_URI and AWS_ENDPOINT_URL_KMS/_STS/_IAM when already set) and exports their
 * endpoints through process.env, which every test worker inherits. Stops what it started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  localAwsRegion,
  type LocalServices,
  startFerretDb,
  startLocalAws,
} from '../../src/devservices/index.js';

export default async function setup(): Promise<() => Promise<void>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'byok-test-'));
  const stops: (() => Promise<void>)[] = [];

  // Never let a test reach real AWS or the instance metadata service.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_REGION ??= localAwsRegion;
  // The SDK warns on every client that Node 20 support ends in 2027; once is in the README.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  if (process.env.MONGODB_URI === undefined) {
    const ferret = await startFerretDb(dataDir);
    process.env.MONGODB_URI = `mongodb://127.0.0.1:${ferret.port}/`;
    stops.push(() => ferret.stop());
  }

  const awsVariables = ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL_IAM'];
  if (awsVariables.some((name) => process.env[name] === undefined)) {
    const aws: LocalServices = await startLocalAws(dataDir);
    Object.assign(process.env, aws.env);
    stops.push(() => aws.stop());
  }

  return async () => {
    await Promise.all(stops.map((stop) => stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
