/**
 * The execution environments of one function: warm ones are reused (most recently used first,
 * so a trickle keeps one warm instead of many lukewarm), new ones are started up to the
 * concurrency limit, and callers beyond it either wait (event source mappings, and any caller
 * beyond the local cap) or are throttled (direct Invoke beyond ReservedConcurrentExecutions,
 * TooManyRequestsException as on AWS).
 *
 * Warm environments are preferred, and starts are bounded:
 * - once a function has as many environments as the host has cores, a caller that finds them all
 *   busy starts another at once only on a fresh reading of idle host CPU (one per idle core it saw);
 *   otherwise it first waits for one to be released, at most MAX_START_PATIENCE_MS, and while it
 *   waits the host's CPU is read again at each reading interval, so that the longest waiting
 *   caller starts one as soon as the cores turn idle (a cold burst of a slow handler would
 *   otherwise grow the pool only by patience, a second per round of starts): another
 *   environment would only compete for the same cores (and warm its own JIT on a share of the
 *   traffic), while a handler that mostly waits (on a slow API, say) leaves the cores idle and
 *   gets more environments, up to the limit;
 * - starts are bounded across all functions by a StartGate: a caller that may start but finds no
 *   free slot waits for a slot or a released environment, whichever comes first.
 * So a burst that meets a cold function warms it a few environments at a time, each start followed
 * by event-loop turns, with the warm ones carrying the work meanwhile; when calls keep waiting
 * longer than a start takes, environments are added up to the same limit as before.
 */
import { randomUUID } from "node:crypto";
import { AwsServiceError } from "../aws-error.js";
import type { InvokeOutcome } from "../contracts.js";
import { ExecutionEnvironment, type EnvironmentDeps } from "./environment.js";
import type { FunctionSpec } from "./function-spec.js";
import { MIN_READING_INTERVAL_MS, type HostCpu } from "./host-cpu.js";
import { LOCAL_EAGER_ENVIRONMENTS, LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION, LOCAL_IDLE_SHARE_TO_GROW, MAX_START_PATIENCE_MS } from "./limits.js";

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
  /**
   * Callers waiting for an environment; `ticket.startAfter` (performance.now() ms): when they may
   * start one instead (the ticket is the caller's own, kept across its waits, so a grant of idle
   * CPU moves it forward).
   */
  private readonly waiters: { resolve: (environment: ExecutionEnvironment | undefined) => void; ticket: { startAfter: number } }[] = [];
  private busy = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  /** One timer for the earliest waiter whose patience runs out (or the next CPU reading), and when it is due (performance.now() ms). */
  private patienceTimer: NodeJS.Timeout | undefined;
  private patienceDue = 0;

  constructor(
    private spec: FunctionSpec,
    private readonly deps: EnvironmentDeps,
    private readonly gate: StartGate,
    private readonly host: Pick<HostCpu, "takeIdle">,
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

  /**
   * Starts environments, up to `count` in all (and the function's limit), before any call needs
   * them: Lambda may initialize an on-demand function's environment ahead of its first invocation
   * ("Understanding the Lambda execution environment lifecycle", Init phase: "we recommend not
   * relying on this behavior"), and the local cloud does it when an event source mapping starts
   * polling the function (docs/lambda.md). Only as many as there are free start slots: a start
   * that would have to wait is left to the first call. Each one, once its INIT is over, goes to a
   * waiting call or joins the warm ones.
   */
  prewarm(count: number): void {
    const target = Math.min(count, this.limit);
    // Counted: environments of the current code still usable (those an update retired are on their way out).
    let current = 0;
    for (const environment of this.all) if (environment.alive && environment.revisionId === this.spec.revisionId) current++;
    for (; !this.closed && current < target && this.gate.tryTake(); current++) {
      let environment: ExecutionEnvironment;
      try {
        environment = this.start();
      } catch {
        return;
      }
      void environment.whenInitialized().then(() => this.offer(environment));
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
    clearTimeout(this.patienceTimer);
    for (const waiter of this.waiters.splice(0)) waiter.resolve(undefined);
    const exits = [...this.all].map((environment) => new Promise<void>((resolve) => environment.onceExited(resolve)));
    for (const environment of this.all) environment.kill();
    this.idle.length = 0;
    return Promise.all(exits).then(() => undefined);
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    // As many environments as the machine has cores start without waiting, and more while it has
    // idle CPU; beyond that a caller first waits for a warm one.
    const eager = this.all.size < LOCAL_EAGER_ENVIRONMENTS || this.host.takeIdle(LOCAL_IDLE_SHARE_TO_GROW);
    const ticket = { startAfter: eager ? 0 : performance.now() + MAX_START_PATIENCE_MS };
    for (;;) {
      const warm = this.takeIdle();
      if (warm) {
        this.busy++;
        return warm;
      }
      if ((performance.now() >= ticket.startAfter || this.all.size < LOCAL_EAGER_ENVIRONMENTS) && this.all.size < this.limit && this.gate.tryTake()) {
        this.busy++;
        return this.start();
      }
      const handed = await new Promise<ExecutionEnvironment | undefined>((resolve) => {
        this.waiters.push({ resolve, ticket });
        this.armPatience();
      });
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
    this.offer(environment);
  }

  /** An environment free for a call (after one, or after its INIT): to the longest waiting call, else among the warm ones; discarded when it is no longer usable. */
  private offer(environment: ExecutionEnvironment): void {
    if (this.closed || !environment.alive || environment.revisionId !== this.spec.revisionId) {
      this.discard(environment);
      this.wakeWaiters();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(environment);
    else this.idle.push(environment);
  }

  private discard(environment: ExecutionEnvironment): void {
    environment.kill();
  }

  /** Slots freed up, or patience ran out: let as many waiters retry as could start an environment now. */
  private wakeWaiters(): void {
    let room = Math.min(this.limit - this.all.size, this.gate.free);
    const now = performance.now();
    // Environments exited (a crash, a timeout): below one per core, a waiting call starts one at once.
    const belowEager = this.all.size < LOCAL_EAGER_ENVIRONMENTS;
    for (let index = 0; room > 0 && index < this.waiters.length;) {
      const waiter = this.waiters[index]!;
      if (waiter.ticket.startAfter > now && !belowEager) {
        index++;
        continue;
      }
      this.waiters.splice(index, 1);
      waiter.resolve(undefined);
      room--;
    }
    this.armPatience();
  }

  /**
   * Arms the one timer for the earliest of: a waiter's patience running out; a waiter whose
   * patience has run out but that no one woke yet, while a start slot is free; and, while a waiter
   * could still grow the pool, the next reading of the host's CPU. A timer already due no later is
   * kept: re-arming on every call would let a steady stream of calls postpone it indefinitely.
   */
  private armPatience(): void {
    const now = performance.now();
    const canStart = this.all.size < this.limit && this.gate.free > 0;
    let earliest = Infinity;
    let patient = false;
    for (const waiter of this.waiters) {
      if (waiter.ticket.startAfter > now) {
        patient = true;
        earliest = Math.min(earliest, waiter.ticket.startAfter);
      } else if (canStart) earliest = now;
    }
    if (patient && this.all.size < this.limit) earliest = Math.min(earliest, now + MIN_READING_INTERVAL_MS);
    if (earliest === Infinity) {
      clearTimeout(this.patienceTimer);
      this.patienceTimer = undefined;
      return;
    }
    if (this.patienceTimer !== undefined && this.patienceDue <= earliest) return;
    clearTimeout(this.patienceTimer);
    this.patienceDue = earliest;
    this.patienceTimer = setTimeout(
      () => {
        this.patienceTimer = undefined;
        this.onPatienceTimer();
      },
      Math.max(0, Math.ceil(earliest - now)),
    );
    this.patienceTimer.unref();
  }

  /**
   * Idle host CPU lets the longest waiting callers start now, one per grant (one per idle core a
   * reading saw, as for a new call); then whoever may start is woken.
   */
  private onPatienceTimer(): void {
    const now = performance.now();
    let room = this.limit - this.all.size;
    for (const waiter of this.waiters) {
      if (room <= 0) break;
      if (waiter.ticket.startAfter <= now) continue;
      if (!this.host.takeIdle(LOCAL_IDLE_SHARE_TO_GROW)) break;
      waiter.ticket.startAfter = now;
      room--;
    }
    this.wakeWaiters();
  }
}
