/**
 * The execution environments of one function: warm ones are reused (most recently used first,
 * so a trickle keeps one warm instead of many lukewarm), new ones are started up to the
 * concurrency limit, and callers beyond it either wait (event source mappings, and any caller
 * beyond the local cap) or are throttled (direct Invoke beyond ReservedConcurrentExecutions,
 * TooManyRequestsException as on AWS).
 *
 * Starts are bounded across all functions by a StartGate: a caller that finds no warm
 * environment and no free start slot waits, and takes whichever comes first, an environment
 * another invocation just released or a start slot. So a burst that meets a cold function warms
 * it a few environments at a time, each start followed by event-loop turns, and the warm ones
 * carry the work meanwhile; concurrency still reaches the same limit.
 */
import { randomUUID } from "node:crypto";
import { AwsServiceError } from "../aws-error.js";
import type { InvokeOutcome } from "../contracts.js";
import { ExecutionEnvironment, type EnvironmentDeps } from "./environment.js";
import type { FunctionSpec } from "./function-spec.js";
import { LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION } from "./limits.js";

export interface InvokeOptions {
  /** Throttle instead of waiting when every allowed environment is busy. */
  throttle: boolean;
  requestId?: string;
  /** Receives the invocation's log lines as they are written. */
  onLog?: (line: string) => void;
}

/** How many execution environments may be starting at once, shared by every function's pool. */
export class StartGate {
  private starting = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly capacity: number) {}

  /** Start slots free now. */
  get free(): number {
    return this.capacity - this.starting;
  }

  tryTake(): boolean {
    if (this.starting >= this.capacity) return false;
    this.starting++;
    return true;
  }

  /** A start ended (INIT done, or the process gone): every pool may try again. */
  release(): void {
    this.starting--;
    for (const listener of [...this.listeners]) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class FunctionPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly waiters: ((environment: ExecutionEnvironment | undefined) => void)[] = [];
  private busy = 0;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(
    private spec: FunctionSpec,
    private readonly deps: EnvironmentDeps,
    private readonly gate: StartGate,
  ) {
    this.unsubscribe = gate.subscribe(() => this.wakeWaiters());
  }

  /** The concurrency this function may use. */
  get limit(): number {
    return Math.min(this.spec.reservedConcurrency ?? LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION, LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION);
  }

  /** A new code or configuration: idle environments go now, busy ones when their invocation ends. */
  update(spec: FunctionSpec): void {
    this.spec = spec;
    for (const environment of this.idle.splice(0)) this.discard(environment);
    this.wakeWaiters();
  }

  async invoke(eventJson: string, options: InvokeOptions): Promise<InvokeOutcome> {
    if (this.closed) throw new AwsServiceError("ServiceException", "The local cloud is shutting down.", { status: 500 });
    // Only ReservedConcurrentExecutions throttles, as on AWS. The local cap on environments is a
    // resource limit of this machine, not an AWS quota: callers beyond it wait for a free one.
    const reserved = this.spec.reservedConcurrency;
    if (reserved === 0 || (options.throttle && reserved !== undefined && this.busy >= reserved)) {
      throw new AwsServiceError("TooManyRequestsException", "Rate Exceeded.", { status: 429 });
    }
    const environment = await this.acquire();
    const requestId = options.requestId ?? randomUUID();
    try {
      return await environment.invoke(requestId, eventJson, options.onLog);
    } finally {
      this.release(environment);
    }
  }

  /** Shuts down environments idle since before `idleBefore`. */
  reap(idleBefore: number): void {
    for (let index = this.idle.length - 1; index >= 0; index--) {
      const environment = this.idle[index]!;
      if (environment.lastUsed < idleBefore) {
        this.idle.splice(index, 1);
        this.discard(environment);
      }
    }
  }

  get environmentCount(): number {
    return this.all.size;
  }

  close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    const exits = [...this.all].map((environment) => new Promise<void>((resolve) => environment.onceExited(resolve)));
    for (const environment of this.all) environment.kill();
    this.idle.length = 0;
    return Promise.all(exits).then(() => undefined);
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      const warm = this.takeIdle();
      if (warm) {
        this.busy++;
        return warm;
      }
      if (this.all.size < this.limit && this.gate.tryTake()) {
        this.busy++;
        return this.start();
      }
      const handed = await new Promise<ExecutionEnvironment | undefined>((resolve) => this.waiters.push(resolve));
      if (this.closed) throw new AwsServiceError("ServiceException", "The local cloud is shutting down.", { status: 500 });
      if (handed) {
        this.busy++;
        return handed;
      }
    }
  }

  private takeIdle(): ExecutionEnvironment | undefined {
    while (this.idle.length > 0) {
      const environment = this.idle.pop()!;
      if (environment.alive && environment.revisionId === this.spec.revisionId) return environment;
      this.discard(environment);
    }
    return undefined;
  }

  /** Starts an environment for the caller; its start slot (already taken) frees when INIT ends. */
  private start(): ExecutionEnvironment {
    let environment: ExecutionEnvironment;
    try {
      environment = new ExecutionEnvironment(this.spec, this.deps);
    } catch (error) {
      this.gate.release();
      throw error;
    }
    void environment.whenInitialized().then(() => this.gate.release());
    this.all.add(environment);
    environment.onceExited(() => {
      this.all.delete(environment);
      const index = this.idle.indexOf(environment);
      if (index !== -1) this.idle.splice(index, 1);
      this.wakeWaiters();
    });
    return environment;
  }

  private release(environment: ExecutionEnvironment): void {
    this.busy--;
    if (this.closed || !environment.alive || environment.revisionId !== this.spec.revisionId) {
      this.discard(environment);
      this.wakeWaiters();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(environment);
    else this.idle.push(environment);
  }

  private discard(environment: ExecutionEnvironment): void {
    environment.kill();
  }

  /** Slots freed up: let as many waiters retry as could start an environment now. */
  private wakeWaiters(): void {
    let room = Math.min(this.limit - this.all.size, this.gate.free);
    while (room > 0 && this.waiters.length > 0) {
      this.waiters.shift()!(undefined);
      room--;
    }
  }
}
