import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { clientConfig, type Target } from "../shared/target.js";

/** The SDK clients deploy, destroy and status use: the same code for both targets. */
export interface DeployClients {
  cloudFormation: CloudFormationClient;
  s3: S3Client;
  sqs: SQSClient;
  lambda: LambdaClient;
  destroy(): void;
}

export function createDeployClients(target: Target): DeployClients {
  const config = clientConfig(target);
  const cloudFormation = new CloudFormationClient(config);
  // The local cloud serves S3 path-style on its one port (no bucket subdomains on 127.0.0.1).
  const s3 = new S3Client({ ...config, forcePathStyle: target.kind === "local" || target.endpoint !== undefined });
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);
  return {
    cloudFormation,
    s3,
    sqs,
    lambda,
    destroy: () => {
      cloudFormation.destroy();
      s3.destroy();
      sqs.destroy();
      lambda.destroy();
    },
  };
}

/** How often stack and change-set state is polled: the local cloud answers in milliseconds, AWS is throttled. */
export function pollIntervalMs(target: Target): number {
  return target.kind === "local" ? 50 : 2_000;
}
