/** What a `daxref` invocation got wrong. */
export type BenchErrorCode =
  | 'USAGE' // a bad flag or argument
  | 'UNKNOWN_POLICY'
  | 'UNKNOWN_VARIANT'
  | 'UNKNOWN_SCENARIO'
  | 'UNKNOWN_STRATEGY'
  | 'BAD_NUMBER'
  | 'BAD_TOKEN'
  | 'ORACLE' // daxref oracle: a missing host tool, an unknown kernel, an archive that does not answer
  | 'BAD_WORKLOAD' // a malformed fuzz:… workload id
  | 'BAD_INPUT' // an input file of the wrong kind (merge)
  | 'BAD_MODULE' // a policy or scenario module of the wrong shape
  | 'IO'; // an unreadable input or unwritable output

/** The one error class of @daxref/bench: a one-line message naming what was wrong and what is valid. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  readonly code: BenchErrorCode;
  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(`daxref: ${message}`, options);
    this.code = code;
  }
}
