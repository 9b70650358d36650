// @daxref/report: results/*.json into one self-contained HTML page. Every export is named here.

export { benchChart, gupChart, opLabel, timelineChart } from './charts';
export { ReportError, type ReportErrorCode } from './errors';
export {
  type BenchCaseInput,
  type BenchInput,
  type Cell,
  type FuzzFinding,
  type FuzzInput,
  loadInputs,
  type MatrixInput,
  type OracleInput,
  type OracleScenario,
  parseBench,
  parseFuzz,
  parseMatrix,
  parseOracle,
  type ReportInputs,
  type Timeline,
  type Violation,
} from './inputs';
export { isUnexpected, verdictGroup } from './matrix-view';
export {
  renderReport,
  summaryLines,
  type WriteReportOptions,
  type WriteReportResult,
  writeReport,
} from './report';
