/** What went wrong building a report. */
export type ReportErrorCode =
  | 'MISSING' // a required input file does not exist
  | 'MALFORMED' // an input file is not JSON or not the schema it claims
  | 'IO'; // the report cannot be written

/** The one error class of @daxref/report: a one-line message naming the file and the problem. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
  readonly code: ReportErrorCode;
  constructor(code: ReportErrorCode, message: string, options?: { cause?: unknown }) {
    super(`daxref report: ${message}`, options);
    this.code = code;
  }
}
