/** Violation kinds (DOMAIN §6). */
export type ViolationKind =
  | 'dma-corruption'
  | 'use-after-free'
  | 'missed-wakeup'
  | 'unbind-hang'
  | 'deadlock'
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
  /** For `warn`: the rule (`dax_disassociate_entry: WARN_ON_ONCE(trunc && _refcount > 1)`). */
  rule?: string;
}
