// @daxref/kernel-oracle: daxref's scenarios on real Linux kernels under QEMU. Every export is named here.

export {
  type KernelEvent,
  kernelEvent,
  type ParsedConsole,
  parseConsole,
  parseFields,
  type RealVerdict,
  realVerdict,
  type TestReport,
} from './console';
export { OracleError, type OracleErrorCode } from './errors';
export {
  checkHostTools,
  EXTRA_PACKAGES,
  HOST_TOOLS,
  type HostTool,
  hasCommand,
  installHostTools,
  missingTools,
  whichCommand,
} from './host';
export {
  type BootPlan,
  buildGuest,
  buildInitramfs,
  GUEST_MODULES,
  type GuestTest,
  guestSource,
  initScript,
  KPROBES,
  moduleClosure,
} from './initramfs';
export {
  Archive,
  bzImageRelease,
  defaultCacheDir,
  ensureDepmod,
  type KernelImage,
  type KernelPackageName,
  kernelFromTree,
  LATEST_MIN,
  localKernel,
  parseKernelPackage,
  type ResolvedPackages,
  resolveSpec,
  SPEC_HELP,
  SUITES,
} from './kernels';
export {
  type BootRecord,
  type BootStatus,
  bootCapMs,
  bootStatus,
  type KernelRun,
  runKernel,
  type TestOutcome,
} from './oracle';
export {
  APPEND,
  type BootEnd,
  type BootResult,
  boot,
  cleanupAll,
  qemuArgs,
  releaseTempDir,
  trackTempDir,
} from './qemu';
