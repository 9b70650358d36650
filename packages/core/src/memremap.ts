import type { MemoryDevice } from './device';
import { DaxrefError } from './errors';
import type { Kernel } from './kernel';
import { PG_ZONE_DEVICE } from './memmap';
import type { DevPagemap, PgmapType } from './pgmap';
import type { KGen, Task } from './sched/task';

/**
 * `devm_memremap_pages()` → `memremap_pages()` → `pagemap_range()`: registers the pgmap, adds
 * the range's struct pages (`memmap_init_zone_device`, with the design's initial refcount) and
 * lets the design take its static references.
 */
export function memremapPages(
  k: Kernel,
  t: Task,
  media: MemoryDevice,
  type: PgmapType = 'fsdax',
): DevPagemap {
  const policy = k.needPolicy('memremap_pages');
  const pgmap = k.pgmaps.add(type, media.startPfn, media.nrPages, k.sched.cpus, media.name);
  if (k.cost !== null) pgmap.done.cost = k.cost;
  k.memmap.addRange({
    startPfn: media.startPfn,
    nrPages: media.nrPages,
    refcount: policy.initialRefcount(type),
    flags: PG_ZONE_DEVICE,
    pgmapId: pgmap.id,
  });
  k.addDevice({ startPfn: media.startPfn, nrPages: media.nrPages, media, pgmapId: pgmap.id });
  policy.pagemapRange(k, t, pgmap);
  return pgmap;
}

/**
 * `memunmap_pages()`: `percpu_ref_kill`, drop the static references, wait for `pgmap->done`
 * (a teardown wait: if it never completes, the unbind hangs), then remove the struct pages
 * (`pageunmap_range`). Since v5.18 nothing else is waited for.
 */
export function* memunmapPages(k: Kernel, t: Task, pgmap: DevPagemap): KGen {
  if (pgmap.removed || pgmap.dying)
    throw new DaxrefError('BAD_STATE', 'memunmap_pages', `pgmap ${pgmap.id} is already being torn down`);
  const policy = k.needPolicy('memunmap_pages');
  pgmap.ref.kill(t.cpu);
  policy.memunmapDropStatic(k, t, pgmap);
  yield* pgmap.done.wait(t, { teardown: true });
  k.memmap.removeRange(pgmap.startPfn, pgmap.nrPages);
  pgmap.removed = true;
  k.pgmaps.remove(pgmap);
  k.anyRemoved = true;
  const i = k.devices.findIndex((d) => d.pgmapId === pgmap.id);
  if (i >= 0) k.devices.splice(i, 1);
}
