/**
 * AWS::S3::Bucket and AWS::S3::BucketPolicy over the S3 service. Ref is the bucket name; the attributes follow AWS's
 * documented formats (the local cloud serves every bucket path-style on its one endpoint).
 * Encryption, public-access blocks, versioning and the other bucket configurations are validated
 * against the schema and recorded with the stack; the local S3 keeps objects on the user's own
 * disk and has no such settings to apply.
 */
import type { ProviderContext, ResourceProvider } from "./types.js";
import { isNotFound, jsonText, optionalString, requiredString } from "./values.js";

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const MAX_BUCKET_NAME_LENGTH = 63;

function bucketAttributes(name: string, context: ProviderContext): Record<string, string> {
  return {
    Arn: `arn:aws:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${context.region}.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${context.region}.amazonaws.com`,
    WebsiteURL: `http://${name}.s3-website-${context.region}.amazonaws.com`,
  };
}

export const s3BucketProvider: ResourceProvider = {
  attributes: ["Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"],
  async create(properties, context) {
    const name = optionalString(properties.BucketName) ?? context.generateName({ maxLength: MAX_BUCKET_NAME_LENGTH, lowercase: true });
    await context.deps.s3.createBucket(name);
    return { physicalId: name, attributes: bucketAttributes(name, context) };
  },
  async update(resource) {
    return resource;
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.s3.deleteBucket(resource.physicalId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

/**
 * AWS::S3::BucketPolicy: PutBucketPolicy on create and update, DeleteBucketPolicy on delete. Ref
 * is the bucket name (its primary identifier); a changed Bucket replaces the resource (schema).
 * The policy is checked as S3 checks it and recorded; the local cloud does not enforce it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html
 */
export const s3BucketPolicyProvider: ResourceProvider = {
  attributes: [],
  async create(properties, context) {
    const bucket = requiredString(properties.Bucket, "Bucket");
    await context.deps.s3.putBucketPolicy(bucket, requiredString(jsonText(properties.PolicyDocument), "PolicyDocument"));
    return { physicalId: bucket, attributes: {} };
  },
  async update(resource, _previous, next, context) {
    await context.deps.s3.putBucketPolicy(resource.physicalId, requiredString(jsonText(next.PolicyDocument), "PolicyDocument"));
    return resource;
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.s3.deleteBucketPolicy(resource.physicalId);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};
