/**
 * Error codes of @daxref/core. A code names what was misused; the message says what was wrong
 * and what is valid. Kernel-side failures (a fault that SIGBUSes, GUP returning -EFAULT) are not
 * errors: they are results, as in the kernel. These are for misuse of the model's API.
 */
export type DaxrefErrorCode =
  | 'PFN_INVALID' // a pfn outside every described range (pfn_valid() false)
  | 'PFN_RANGE' // a range that overlaps another or is misaligned
  | 'BAD_ARGUMENT' // a negative count, an unaligned address, a bad length or order
  | 'NOT_MAPPED' // an address with no VMA
  | 'BAD_STATE' // an object used in a state that does not allow it (unbind twice, reuse of a dead task)
  | 'POLICY' // a policy that violates the interface contract
  | 'SCHEDULER' // a task body that misbehaves (yields an unknown value, runs past the budget)
  | 'NONDETERMINISM'; // a replay that diverged from its recording

/** The one error class of @daxref/core: `code` is from a fixed union, `message` is prefixed with the component. */
export class DaxrefError extends Error {
  override readonly name = 'DaxrefError';
  readonly code: DaxrefErrorCode;
  constructor(code: DaxrefErrorCode, component: string, message: string, options?: { cause?: unknown }) {
    super(`${component}: ${message}`, options);
    this.code = code;
  }
}

/** Throws a `BAD_ARGUMENT` error unless `n` is a non-negative integer. */
export function checkCount(component: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new DaxrefError('BAD_ARGUMENT', component, `${what} must be a non-negative integer, got ${n}`);
  }
}
