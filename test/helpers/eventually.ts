import { setTimeout as sleep } from "node:timers/promises";

/**
 * The tests' one sleep: for pacing what a test sends (a rate it must not exceed), never to wait
 * for an outcome (that is `eventually`'s job, or better an event).
 */
export { sleep };

/**
 * Waits for a condition that an event in another process makes true (no fixed sleeps): polls
 * `probe` until it returns a value other than undefined or false, or fails naming `what`.
 */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
