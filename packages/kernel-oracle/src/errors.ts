/** What went wrong before or around a boot (a kernel that oopses or hangs is a result, not an error). */
export type OracleErrorCode =
  | 'USAGE' // a bad argument: an unknown kernel spec or scenario, a missing bzImage or modules tree
  | 'MISSING_TOOL' // a host tool is not installed (the message names the Debian package)
  | 'ARCHIVE' // the Debian archive did not answer, or has no such kernel
  | 'BUILD' // the guest program or the initramfs could not be built
  | 'IO'; // a file could not be read or written

/** The one error class of @daxref/kernel-oracle: a one-line message naming what is wrong and what is valid. */
export class OracleError extends Error {
  override readonly name = 'OracleError';
  readonly code: OracleErrorCode;
  constructor(code: OracleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
