/** Violation kinds (DOMAIN §6). */
export type ViolationKind =
  | 'dma-corruption'
  | 'use-after-free'
  | 'missed-wakeup'
  | 'unbind-hang'
  | 'deadlock'
  | 'hang'
  | 'vm-bug-on'
  | 'warn'
  | 'leak'
  /** A holder reads data of the block's next owner (the read side of a reuse under DMA / GUP). */
  | 'stale-read';

/** Every violation kind, in the order reports list them. */
export const VIOLATION_KINDS: readonly ViolationKind[] = [
  'dma-corruption',
  'use-after-free',
  'missed-wakeup',
  'unbind-hang',
  'deadlock',
  'hang',
  'vm-bug-on',
  'warn',
  'leak',
  'stale-read',
];

/** One violation, found by the model's checks. */
export interface Violation {
  kind: ViolationKind;
  /** What happened, naming the kernel function whose rule was broken. */
  message: string;
  /** The scheduler step at which it was found. */
  step: number;
  /** The task that was running, if any. */
  task?: string;
  /** The page concerned, if any. */
  pfn?: number;
  /** For `hang`: the waiter, its wait and what keeps the wait's condition false. */
  hang?: HangDetail;
  /** For `warn`: the rule (`dax_disassociate_entry: WARN_ON_ONCE(trunc && _refcount > 1)`). */
  rule?: string;
}

/** One reference holder keeping a waited-for page busy (from the reference ledger). */
export interface HangHolder {
  readonly pfn: number;
  /** `_refcount` units it holds. */
  readonly refs: number;
  /** The task that took it (`pin#2`). */
  readonly task: string;
  /** The kernel function it was taken in. */
  readonly fn: string;
  readonly step: number;
}

/**
 * A `hang`: an unbounded wait whose condition is false, with no lock cycle, that only another
 * task's unrelated action (dropping a mapping, an unpin) or a signal would end.
 */
export interface HangDetail {
  /** The waiting task (`trunc#3`). */
  readonly waiter: string;
  /** The kernel function that sleeps (`wait_page_idle`). */
  readonly fn: string;
  /** The wait key, as the waiter describes it (`page 0x1000 idle (f)`). */
  readonly key: string;
  /** The predicate that is false (`folio_ref_count == 0`, or the blocker kind when not named). */
  readonly predicate: string;
  /** TASK_INTERRUPTIBLE / TASK_KILLABLE: a signal ends it, and the hung-task detector stays silent. */
  readonly interruptible: boolean;
  /** The references that keep the predicate false, when the wait is on a page and the ledger is kept. */
  readonly holders: readonly HangHolder[];
}
