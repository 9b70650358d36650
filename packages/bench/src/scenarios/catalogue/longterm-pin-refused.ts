import {
  Errno,
  FOLL_LONGTERM,
  FOLL_WRITE,
  type Kernel,
  pinUserPagesFast,
  type Task,
  unpinUserPages,
} from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import { fullTeardown, type GupCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

interface LongtermCtx extends GupCtx {
  err: number;
}

export const longtermPinRefused: CatalogueEntry = {
  kind: 'failure',
  applies: (p) =>
    p.caps.follLongterm === false
      ? 'no FOLL_LONGTERM before 4.15 (get_user_pages_longterm(), 2bb6d2837083)'
      : null,
  scenario: {
    id: 'longterm-pin-refused',
    title: 'T1 asks for a FOLL_LONGTERM pin on FSDAX',
    source: 'check_vma_flags(): vma_is_fsdax() → -EOPNOTSUPP; 6.15 folio_is_longterm_pinnable()',
    setup(k: Kernel): LongtermCtx {
      const w = daxWorld(k);
      return { w, map: mapFile(w, 'f', 1), got: [], err: 0 };
    },
    tasks: [
      {
        name: 'rdma',
        *body(k, t, c: LongtermCtx) {
          const r = yield* pinUserPagesFast(k, t, c.map.mm, c.map.addr, 1, FOLL_LONGTERM | FOLL_WRITE);
          c.err = r.err;
          c.got.push(...r.pfns);
          unpinUserPages(k, t, r.pfns);
        },
      },
    ],
    check(k: Kernel, c: LongtermCtx) {
      if (c.got.length > 0 || c.err !== -Errno.EOPNOTSUPP) {
        k.report(
          'warn',
          `check_vma_flags: a FOLL_LONGTERM pin of FSDAX memory was granted (err ${c.err}, ${c.got.length} pages)`,
        );
      }
    },
    *teardown(k: Kernel, t: Task, c: LongtermCtx) {
      yield* fullTeardown(k, t, c.w, [c.map.mm], [c.map.file]);
    },
  },
  expected: expect({
    '1based@v4.5': 'n/a', // FOLL_LONGTERM arrived in 4.15 (2bb6d2837083)
    '1based@v4.18': 'pass',
    '1based@v5.19-rc1': 'pass',
    '1based@v6.1': ['pass', 'must'], // real 6.1.176
    '1based@v6.14': ['pass', 'must'],
    '0based@dan-2022': 'pass',
    '0based@v6.15': ['pass', 'must'],
    '0based@ralph-rfc': 'pass',
    'coarse-pin@block': 'pass',
    'coarse-pin@revoke': 'pass',
  }),
};
