import {
  FOLL_LONGTERM,
  FOLL_WRITE,
  type Kernel,
  pinUserPages,
  type Task,
  unpinUserPages,
} from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { dmaWrite, owning, type PinCtx, pinSetup, pinTeardown, truncateTask } from '../tasks';

interface LeaseCtx extends PinCtx {
  err: number;
}

export const leaseBreak: CatalogueEntry = {
  kind: 'failure',
  applies: (p) =>
    p.caps.leases ? null : 'the design offers no file lease for long-term pins (DOMAIN §5 is opt-in)',
  scenario: {
    id: 'lease-break',
    title: 'T1 takes a lease and long-term pins; T2 truncates → lease break → SIGIO → T1 unpins',
    source: 'seed 004 (John Hubbard, Dave Chinner, 2019): file leases broken by truncate with SIGIO',
    setup(k: Kernel): LeaseCtx {
      return { ...pinSetup(k), err: 0 };
    },
    tasks: [
      {
        name: 'holder',
        body: owning(
          (c: LeaseCtx) => c.map.mm,
          function* (k, t, c) {
            c.w.fs.setLease(k, t, c.map.file);
            const r = yield* pinUserPages(k, t, c.map.mm, c.map.addr, 1, FOLL_LONGTERM | FOLL_WRITE);
            c.err = r.err;
            const release = function* (as: Task) {
              unpinUserPages(k, as, r.pfns);
              if (c.map.file.lease === t) c.w.fs.releaseLease(k, t, c.map.file);
            };
            t.exitHooks.push(release);
            if (r.err === 0) {
              const m = c.w.dma.map(r.pfns);
              // keep the region registered, moving data, until the lease breaks
              while (!t.takeSignal('SIGIO')) {
                yield* dmaWrite(c.w, t, m, 1);
                yield* k.sched.sleep(t, 5);
              }
              c.w.dma.unmap(m);
            }
            t.exitHooks.pop();
            yield* release(t);
          },
        ),
      },
      truncateTask(),
    ],
    teardown: pinTeardown,
  },
  expected: expect({ '0based@v6.15': 'pass' }),
};
