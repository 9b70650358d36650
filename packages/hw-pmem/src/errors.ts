/**
 * Error codes of @daxref/hw-pmem. They are for misuse of the hardware model (a bad
 * configuration, a driver operation in the wrong state); what the hardware or the kernel does
 * to a task (SIGBUS, -EIO) is a result, not an error.
 */
export type HwPmemErrorCode =
  | 'BAD_ARGUMENT' // a value of the wrong kind (a negative size, an unknown name)
  | 'BAD_MODE' // a namespace mode other than fsdax / devdax / raw
  | 'BAD_ALIGN' // an alignment the mode does not allow
  | 'MISALIGNED' // a size or address that is not a multiple of what it must be
  | 'OVERLAP' // a range that overlaps another region, namespace or system RAM
  | 'NO_SPACE' // a namespace that does not fit in its region, or leaves no data area
  | 'ALREADY_BOUND' // bind of a namespace that already has a driver (or is being unbound)
  | 'NOT_BOUND' // unbind of a namespace that has no driver
  | 'BAD_STATE'; // an object used in a state that does not allow it (a removed region)

/**
 * The one error class of @daxref/hw-pmem: `code` is from a fixed union, `message` is prefixed
 * with the component, and a configuration error names the offending `field` and, where there is
 * a fixed set, the `allowed` values.
 */
export class HwPmemError extends Error {
  override readonly name = 'HwPmemError';
  readonly code: HwPmemErrorCode;
  /** The configuration field at fault (`size`, `align`, `mode`, `offset`, …), if any. */
  readonly field: string | undefined;
  /** The values the field accepts, if there is a fixed set. */
  readonly allowed: readonly string[] | undefined;

  constructor(
    code: HwPmemErrorCode,
    component: string,
    message: string,
    options: { field?: string; allowed?: readonly string[]; cause?: unknown } = {},
  ) {
    super(`${component}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.allowed = options.allowed;
  }
}
