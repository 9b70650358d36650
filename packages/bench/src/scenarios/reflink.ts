import {
  createMm,
  exitMmap,
  type Inode,
  type Kernel,
  type KGen,
  mmap,
  type Policy,
  type Scenario,
  type Task,
  userAccess,
} from '@daxref/core';
import { fullTeardown } from './tasks';
import { type DaxWorld, daxWorld, type Mapping, payload, settle } from './world';

/** Context of the reflink scenarios: file `a`, its reflinked copy `b`, each mapped by its own process. */
export interface ReflinkCtx {
  w: DaxWorld;
  a: Mapping;
  b: Mapping;
  /** Tasks (reader, truncate) that have finished. */
  finished: number;
}

/** Setup of the reflink scenarios: writes file `a`, reflinks it to `b`, read-faults both (one shared block). */
export function reflinkSetup(k: Kernel): ReflinkCtx {
  const w = daxWorld(k);
  const src = w.fs.create('a');
  settle(w.fs.pwrite(k, w.boot, src, 0, payload(4096, 0x41)), 'pwrite');
  const dst = w.fs.create('b');
  const r = settle(w.fs.reflink(k, w.boot, src, dst), 'reflink');
  if (r < 0) throw new Error(`reflink failed (${r})`);
  const a = mapExisting(w, src);
  const b = mapExisting(w, dst);
  return { w, a, b, finished: 0 };
}

/** Maps the first page of an existing file into a new mm and read-faults it. */
export function mapExisting(w: DaxWorld, file: Inode): Mapping {
  const { k, boot } = w;
  const mm = createMm(k);
  const addr = settle(mmap(k, boot, mm, { file, length: 4096 }), 'mmap');
  const r = settle(userAccess(k, boot, mm, addr, false), 'read fault');
  if (!r.ok) throw new Error(`read fault of ${file.name} failed`);
  return { file, mm, addr, length: 4096 };
}

/** Teardown of the reflink scenarios: `fullTeardown` of both mappings and files. */
export function* reflinkTeardown(k: Kernel, t: Task, c: ReflinkCtx): KGen {
  yield* fullTeardown(k, t, c.w, [c.a.mm, c.b.mm], [c.a.file, c.b.file]);
}

/** A catalogue entry's `applies`: n/a unless the design allows reflink on DAX (xfs, v5.19+). */
export const needsReflink = (p: Policy) =>
  p.caps.reflink
    ? null
    : 'xfs refused reflink on DAX before v6.0 (xfs_reflink_remap_prep: "Don\'t share DAX file data for now")';

/**
 * The reflink race shape: `reader` touches the shared block through file a while file b is
 * truncated; once both are done, a goes too and another file takes and maps the freed block (a
 * stale shared mark would trip `dax_associate_entry`'s WARN).
 */
export function reflinkTasks(
  reader: (k: Kernel, t: Task, c: ReflinkCtx) => KGen,
): Scenario<ReflinkCtx>['tasks'] {
  const done = (k: Kernel, c: ReflinkCtx) => {
    c.finished++;
    k.waits.wake('reflink:finished');
  };
  return [
    {
      name: 'reader',
      *body(k, t, c) {
        yield* reader(k, t, c);
        done(k, c);
      },
    },
    {
      name: 'truncate',
      *body(k, t, c) {
        yield* c.w.fs.truncate(k, t, c.b.file, 0);
        done(k, c);
      },
    },
    {
      name: 'reuse',
      *body(k, t, c) {
        yield* k.waits.wait(t, 'reflink:finished', () => c.finished === 2, 'the reader and the truncate');
        yield* exitMmap(k, t, c.a.mm);
        yield* c.w.fs.unlink(k, t, c.a.file);
        yield* c.w.fs.close(k, t, c.a.file);
        const g = c.w.fs.create('reuse', 4096);
        const mm = createMm(k);
        const addr = yield* mmap(k, t, mm, { file: g, length: 4096 });
        yield* userAccess(k, t, mm, addr, true, payload(1, 0x22));
        yield* exitMmap(k, t, mm);
        yield* c.w.fs.close(k, t, g);
      },
    },
  ];
}
