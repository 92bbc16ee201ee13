/** When to try again after a failure: doubling delays, reset after a healthy run. Time comes from the Clock. */
export interface RetryPolicy {
  /** First delay after a failure. */
  readonly initialDelayMs: number;
  /** The delay doubles per failure up to this cap. */
  readonly maxDelayMs: number;
  /** Running this long without failing resets the delay to its initial value. */
  readonly healthyAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 60_000, healthyAfterMs: 60_000 };

export class Backoff {
  private failures = 0;
  private runningSince: number | undefined;

  constructor(private readonly policy: RetryPolicy) {}

  connected(now: number): void {
    this.runningSince = now;
  }

  /** The delay before the next try, counting this failure. */
  next(now: number): number {
    if (this.runningSince !== undefined && now - this.runningSince >= this.policy.healthyAfterMs) this.failures = 0;
    this.runningSince = undefined;
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  /** Stop: the next failure starts from the initial delay again. */
  reset(): void {
    this.failures = 0;
  }
}
