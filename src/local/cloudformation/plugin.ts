import type { LocalContext } from "../context.js";
import type { CloudFormationPlugin } from "../contracts.js";
import type { CloudFormationDependencies } from "./dependencies.js";
import { CloudFormationStore } from "./engine/store.js";
import { StackOperations } from "./engine/operations.js";
import { CloudFormationService } from "./engine/service.js";
import { recoverInterruptedOperations } from "./engine/recovery.js";
import { IamStore } from "./providers/iam-store.js";
import { createQueryHandler } from "./query-protocol.js";
import { loadSpecDatabase } from "./schema/resource-specs.js";

/**
 * The CloudFormation service of the local cloud: the Query API, the template engine and the
 * resource providers, with stacks kept in the shared database (tables cfn_*).
 */
export function createCloudFormationPlugin(context: LocalContext, deps: CloudFormationDependencies): CloudFormationPlugin {
  // First: without the schemas (a build output) the local cloud must not start at all.
  const specs = loadSpecDatabase();
  const store = new CloudFormationStore(context.db);
  const iam = new IamStore(context.db);
  const operations = new StackOperations({
    store,
    iam,
    deps,
    region: context.region,
    accountId: context.accountId,
    baseUrl: () => context.baseUrl(),
    now: () => context.clock.now(),
    log: context.log,
    specs,
  });
  const service = new CloudFormationService({
    store,
    operations,
    region: context.region,
    accountId: context.accountId,
    now: () => context.clock.now(),
    s3: deps.s3,
    specs,
  });
  const query = createQueryHandler(service, context.log);

  // Interrupted operations resume once the server listens: providers may need the endpoint URL.
  let closed = false;
  void context.listening.then(
    () => {
      if (closed) return;
      if (store.stacksInProgress().length > 0) context.log.log("info", "resuming interrupted stack operations");
      recoverInterruptedOperations(store, operations);
    },
    // Start-up failed: nothing listens, and nothing resumes.
    () => undefined,
  );

  return {
    query,
    close: async () => {
      closed = true;
      await operations.drain();
    },
  };
}
