/**
 * API Gateway WebSocket quotas the local cloud enforces.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table
 */
export const WEBSOCKET_LIMITS = {
  /** Message payload; a larger message closes the connection with 1009. */
  maxMessageBytes: 128 * 1024,
  /** One WebSocket frame from the client; a larger one closes the connection with 1009. */
  maxFrameBytes: 32 * 1024,
  /** @connections PostToConnection payload. */
  maxPostBytes: 128 * 1024,
  /** Idle connections are closed after 10 minutes. */
  idleTimeoutMs: 10 * 60 * 1000,
  /** No connection lives longer than 2 hours. */
  maxConnectionMs: 2 * 60 * 60 * 1000,
  /** New connections per second per account (burst the same). */
  newConnectionsPerSecond: 500,
  /** Account-level throttle shared by all APIs: 10,000 requests/s, burst 5,000. */
  accountRatePerSecond: 10_000,
  accountBurst: 5_000,
} as const;

/**
 * How much the gateway holds for one connection before it stops reading from it (frames waiting
 * for their integration) or drops it (results the client does not read). AWS publishes no number
 * for either; without a bound a slow or stuck peer would grow the process without limit.
 */
export const BACKPRESSURE = {
  /** Frames of one connection being integrated at once (they share durable commits). */
  maxInFlightFrames: 64,
  maxPendingFrames: 256,
  /**
   * Frames integrated per event-loop turn, across every connection; the rest wait for the next
   * turn, so a burst's frames leave turns to the HTTP requests behind them (gateway.ts).
   */
  maxFramesPerTurn: 256,
  maxUnsentBytes: 4 * 1024 * 1024,
} as const;
