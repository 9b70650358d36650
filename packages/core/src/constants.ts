/** Page size shift: 4 KiB pages (x86-64 PAGE_SHIFT). */
export const PAGE_SHIFT = 12;
/** Bytes in a base page. */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Folio order of a PMD mapping: 2 MiB (HPAGE_PMD_ORDER). */
export const PMD_ORDER = 9;
/** Folio order of a PUD mapping: 1 GiB (HPAGE_PUD_ORDER). */
export const PUD_ORDER = 18;
/** Pages in a PMD-sized folio. */
export const PMD_NR = 1 << PMD_ORDER;
/** Pages in a PUD-sized folio. */
export const PUD_NR = 1 << PUD_ORDER;

/** include/linux/mm.h: a FOLL_PIN on a small folio adds this much to _refcount. */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** GUP flags (include/linux/mm_types.h `enum foll_flags`), as a bit set. */
export const FOLL_WRITE = 1 << 0;
/** Take a page reference (+1 `_refcount`). */
export const FOLL_GET = 1 << 1;
/** Pin for DMA: +1024 on a small folio, +1 and `_pincount` +1 on a large one. */
export const FOLL_PIN = 1 << 2;
/** A long-term pin: refused for FSDAX (`check_vma_flags`). */
export const FOLL_LONGTERM = 1 << 3;
/** Do not fault pages in: fail where nothing is mapped. */
export const FOLL_NOFAULT = 1 << 4;

/** Linux errno values the model returns (negated, as the kernel does). */
export const Errno = {
  EPERM: 1,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  EHWPOISON: 133,
  /** Kernel-internal: a syscall interrupted by a signal, restarted or turned into -EINTR on return to user. */
  ERESTARTSYS: 512,
} as const;

/** Fault results (`vm_fault_t`), as a bit set. */
export const VM_FAULT_OOM = 0x1;
/** The fault hit a SIGBUS: no backing, the device is going away, or the pgmap is dying. */
export const VM_FAULT_SIGBUS = 0x2;
/** The fault found poisoned memory. */
export const VM_FAULT_HWPOISON = 0x10;
/** The fault did not install a PMD; retry with PTEs. */
export const VM_FAULT_FALLBACK = 0x800;
/** The fault installed the entry. */
export const VM_FAULT_NOPAGE = 0x100;
