import { createKernel, DaxFs, type Kernel, type Policy, type Task } from '@daxref/core';
import {
  bindNamespace,
  createNvdimmBus,
  type FsdaxBinding,
  type PmemNamespace,
  SZ_2M,
  unbindNamespace,
} from '@daxref/hw-pmem';
import { drive } from './drive';

/** A kernel with an fsdax namespace bound, a DAX filesystem on it, and a task to run ops as. */
export interface World {
  readonly k: Kernel;
  readonly t: Task;
  readonly fs: DaxFs;
  readonly ns: PmemNamespace;
  /** Unbinds and binds again a second, idle namespace (the `unbind` op). */
  rebind(): void;
}

/** Builds a world of `pages` 4 KiB pages of pmem under `policy`, with the memmap in host RAM. */
export function bindFsdax(policy: Policy, pages: number): World {
  const k = createKernel({ policy });
  const t = k.spawn('bench', function* () {});
  const bus = createNvdimmBus(k);
  const size = Math.ceil((pages * 4096) / SZ_2M) * SZ_2M;
  const region = bus.addRegion({ base: 2 ** 36, size: 2 * size + 64 * SZ_2M });
  const ns = region.createNamespace({ mode: 'fsdax', size, align: SZ_2M, map: 'ram' });
  const spare = region.createNamespace({ mode: 'fsdax', size: 16 * SZ_2M, align: SZ_2M, map: 'ram' });
  const b = bindNamespace(k, t, ns) as FsdaxBinding;
  bindNamespace(k, t, spare);
  const fs = new DaxFs(k, b.dax);
  return {
    k,
    t,
    fs,
    ns,
    rebind() {
      drive(unbindNamespace(k, t, spare), 'unbind');
      bindNamespace(k, t, spare);
    },
  };
}
