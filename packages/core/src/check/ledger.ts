import type { Violation } from '../violations';

/** One reference the ledger holds: who took it, where, and when. */
export interface RefRecord {
  readonly pfn: number;
  /** Units of `_refcount` it added (1 for a get, 1024 for a small-page pin). */
  refs: number;
  /** The task that took it (`pin#2`), or `-` outside any task. */
  readonly task: string;
  /** The kernel function it was taken in (`try_grab_folio`, `fault/get_page`). */
  readonly fn: string;
  /** Scheduler step. */
  readonly step: number;
}

/**
 * The reference ledger: every increment of a zone-device page's `_refcount` (get, pin, a
 * mapping's reference) is recorded with its provenance, and every decrement retires a matching
 * record (the same task's equal-sized reference first, then the oldest equal-sized one, then
 * oldest first). What is left after a full teardown was never dropped: a `leak`.
 */
export class RefLedger {
  private readonly open = new Map<number, RefRecord[]>();

  /** A `_refcount` change on a zone-device page (`set` resets the page: memmap init). */
  change(
    pfn: number,
    before: number,
    after: number,
    set: boolean,
    task: string,
    fn: string,
    step: number,
  ): void {
    if (set) {
      this.open.delete(pfn);
      return;
    }
    const d = after - before;
    if (d > 0) {
      let list = this.open.get(pfn);
      if (list === undefined) {
        list = [];
        this.open.set(pfn, list);
      }
      list.push({ pfn, refs: d, task, fn, step });
      return;
    }
    const list = this.open.get(pfn);
    if (list === undefined) return; // below the baseline: the model reports vm-bug-on itself
    let need = -d;
    let i = -1;
    for (let j = list.length - 1; j >= 0; j--) {
      if (list[j]!.refs === need && list[j]!.task === task) {
        i = j;
        break;
      }
    }
    if (i < 0) i = list.findIndex((r) => r.refs === need);
    if (i >= 0) list.splice(i, 1);
    else {
      while (need > 0 && list.length > 0) {
        const r = list[0]!;
        const take = Math.min(need, r.refs);
        r.refs -= take;
        need -= take;
        if (r.refs === 0) list.shift();
      }
    }
    if (list.length === 0) this.open.delete(pfn);
  }

  /** The references page `pfn` still holds, oldest first (the holders of a hang). */
  holders(pfn: number): RefRecord[] {
    return (this.open.get(pfn) ?? []).map((r) => ({ ...r }));
  }

  /** References not yet dropped, by pfn then age. */
  outstanding(): RefRecord[] {
    const out: RefRecord[] = [];
    for (const pfn of [...this.open.keys()].sort((a, b) => a - b)) out.push(...this.open.get(pfn)!);
    return out;
  }

  /** One `leak` violation per page that still holds references. */
  leaks(step: number): Violation[] {
    const by = new Map<number, RefRecord[]>();
    for (const r of this.outstanding()) {
      const l = by.get(r.pfn) ?? [];
      l.push(r);
      by.set(r.pfn, l);
    }
    const out: Violation[] = [];
    for (const [pfn, rs] of by) {
      const total = rs.reduce((s, r) => s + r.refs, 0);
      const who = rs.map((r) => `+${r.refs} by ${r.task} in ${r.fn || '?'} at step ${r.step}`).join('; ');
      out.push({
        kind: 'leak',
        message: `pfn 0x${pfn.toString(16)} still holds ${total} _refcount unit(s) after full teardown: ${who}`,
        step,
        pfn,
      });
    }
    return out;
  }
}
