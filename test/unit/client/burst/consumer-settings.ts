// The consumer settings of a stack deployed with the shipped template's defaults, as `wsq burst`
// reads them (visibility timeout 90 s, maxReceiveCount 5, batches of 10, MaximumConcurrency 10,
// function timeout 15 s), for tests of the drain prediction and its rendering.
import type { ConsumerSettings } from "../../../../src/client/burst/consumer.js";

export const TEMPLATE_SETTINGS: ConsumerSettings = {
  visibilityTimeoutSeconds: 90,
  maxReceiveCount: 5,
  batchSize: 10,
  maximumConcurrency: 10,
  reservedConcurrency: null,
  functionTimeoutSeconds: 15,
  localEnvironmentLimit: null,
  notes: [],
};
