import type { MemmapField } from '../memmap';
import type { ViolationKind } from '../violations';

/** How a step ended for the task that ran it. */
export type StepEnd = 'preempt' | 'block' | 'done' | 'error' | 'killed';

/** One entry of the event log. `step` is the scheduler step (1-based, setup steps included). */
export type TraceEvent =
  | {
      readonly type: 'step';
      readonly step: number;
      readonly task: number;
      readonly name: string;
      /** The innermost kernel operation the task is in after the step (`kcall` / entry hooks). */
      readonly fn: string;
      readonly end: StepEnd;
      /** For `block`: what it waits for. */
      readonly what?: string;
    }
  | {
      readonly type: 'change';
      readonly step: number;
      readonly task: number;
      readonly fn: string;
      readonly pfn: number;
      readonly field: MemmapField;
      readonly before: number;
      readonly after: number;
    }
  | {
      readonly type: 'call';
      readonly step: number;
      readonly task: number;
      readonly fn: string;
      readonly pfn: number;
    }
  | {
      readonly type: 'op';
      readonly step: number;
      readonly task: number;
      readonly fn: string;
      readonly phase: 'begin' | 'end';
    }
  | { readonly type: 'pgmap'; readonly step: number; readonly id: number; readonly ref: number }
  | {
      readonly type: 'violation';
      readonly step: number;
      readonly task?: string;
      readonly kind: ViolationKind;
      readonly message: string;
      readonly pfn?: number;
    };

/** A recorded run: its task names and its event log. */
export interface TraceLog {
  /** Task names by id (index 0 unused). */
  readonly tasks: readonly string[];
  readonly events: readonly TraceEvent[];
  /** The scenario and policy it came from, and the schedule token. */
  readonly scenario?: string;
  readonly policy?: string;
  readonly schedule?: string;
}
