/**
 * Test hooks: faults the local cloud injects so that tests can drive client code through failures
 * AWS produces but a healthy emulator never would. They are set only by whoever starts the local
 * cloud (LocalCloudOptions.testFaults in tests; an environment variable for the daemon, see
 * docs/local.md) and are never reachable through a request.
 */
import { WsqError } from "../../shared/errors.js";

export interface TestFaults {
  /**
   * The next N CreateEventSourceMapping calls fail as Lambda fails one whose execution role's SQS
   * permissions have not reached Lambda yet (IAM eventual consistency): InvalidParameterValueException,
   * 400, "The provided execution role does not have permissions to call ReceiveMessage on SQS".
   */
  failCreateEventSourceMapping?: number;
}

/** The daemon's environment variable for TestFaults.failCreateEventSourceMapping. */
export const FAIL_CREATE_EVENT_SOURCE_MAPPING_ENV = "WSQ_TEST_FAIL_CREATE_EVENT_SOURCE_MAPPING";

/** The faults the environment asks for; undefined when it asks for none. */
export function testFaultsFromEnv(env: NodeJS.ProcessEnv): TestFaults | undefined {
  const raw = env[FAIL_CREATE_EVENT_SOURCE_MAPPING_ENV];
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new WsqError("BAD_TEST_FAULT", `${FAIL_CREATE_EVENT_SOURCE_MAPPING_ENV}=${raw} is not a whole number.`, {
      hint: `Unset it, or set it to how many CreateEventSourceMapping calls should fail (a test hook; see docs/local.md).`,
    });
  }
  return { failCreateEventSourceMapping: Number(raw) };
}
