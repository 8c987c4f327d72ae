export interface RetryPolicy {
  /** The first retry; also the least time between two reads of a channel (ThingSpeak's rate limit). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive failures that open the circuit. */
  readonly circuitThreshold: number;
  /** How long an open circuit keeps the channel from being read; then one trial read (half-open). */
  readonly circuitCooldownMs: number;
}

export interface FailureDecision {
  readonly failures: number;
  readonly retryInMs: number;
  /** Set when the circuit opens (or opens again after a failed trial read). */
  readonly circuitOpenMs: number | null;
}

/**
 * What follows a failed read, given the consecutive failures before it: exponential back-off with jitter, so
 * channels that failed together do not retry together, never sooner than the base; and from
 * `circuitThreshold` failures on, an open circuit. A failure while half-open opens it again at once.
 * @example afterFailure(0, policy).retryInMs // policy.baseDelayMs
 */
export function afterFailure(
  failuresBefore: number,
  policy: RetryPolicy,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): FailureDecision {
  const failures = failuresBefore + 1;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(failures - 1, 30));
  const jittered = exponential * (0.5 + random() / 2);
  const retryInMs = Math.round(Math.max(policy.baseDelayMs, jittered, retryAfterMs ?? 0));
  const circuitOpenMs = failures >= policy.circuitThreshold ? policy.circuitCooldownMs : null;
  return { failures, retryInMs, circuitOpenMs };
}

/** Whether a read is the trial of a half-open circuit: its cool-down is over, the failures are not forgotten. */
export function isTrialRead(failuresBefore: number, policy: RetryPolicy): boolean {
  return failuresBefore >= policy.circuitThreshold;
}
