/**
 * Defaults that the CLI's help text names. This module imports nothing, so that registering the
 * commands (`wsq --help`, `wsq --version`) loads none of the engines these values belong to.
 */

/** The stack `wsq deploy` creates when --stack-name is not given; resource names derive from it. */
export const DEFAULT_STACK_NAME = "wsq";
/** The local cloud's port when neither --port nor the data directory's last port says otherwise. */
export const DEFAULT_PORT = 4510;
/** The region the local cloud reports in ARNs and URLs unless --region names another. */
export const DEFAULT_REGION = "us-east-1";
/** A graceful stop of the local cloud lets in-flight writes finish; after this long the process is killed. */
export const STOP_GRACE_MS = 10_000;
/** How long opening a WebSocket connection may take before `connect` and `burst` give up. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
