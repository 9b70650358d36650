import { exitMmap, type Kernel, type Scenario, syscall, userAccess } from '@daxref/core';
import { unbindNamespace } from '@daxref/hw-pmem';
import { owning, type UnbindCtx } from './tasks';
import { type DaxWorldOptions, daxWorld, mapFile } from './world';

/** Setup of the unbind-while-mapped family: one mapped page on a filesystem made with `fs`. */
export function unbindMappedSetup(fs: DaxWorldOptions): (k: Kernel) => UnbindCtx {
  return (k) => {
    const w = daxWorld(k, fs);
    return { w, map: mapFile(w, 'f', 1), gone: false };
  };
}

/**
 * The tasks of the unbind-while-mapped family: the mapper stays idle until the device is gone,
 * then (with `touch`) reads and writes its mapping as the real-kernel test's child did — a PTE
 * nobody zapped now points into removed memory — and exits; an admin unbinds.
 */
export function unbindMappedTasks(touch: boolean): Scenario<UnbindCtx>['tasks'] {
  return [
    {
      name: 'mapper',
      body: owning(
        (c: UnbindCtx) => c.map.mm,
        function* (k, t, c) {
          // Idle in user space (a pause()-like interruptible sleep): a SIGKILL or SIGBUS ends it
          // and the process acts on the signal on its way back to user space.
          yield* syscall(
            t,
            k.waits.wait(t, 'unbind:gone', () => c.gone, 'the device to be gone', {
              fn: 'pause',
              state: 'interruptible',
            }),
          );
          if (touch) {
            yield* userAccess(k, t, c.map.mm, c.map.addr, false);
            yield* userAccess(k, t, c.map.mm, c.map.addr, true, new Uint8Array([0x34]));
          }
          yield* exitMmap(k, t, c.map.mm);
          yield* c.w.fs.close(k, t, c.map.file);
        },
        (c) => [{ fs: c.w.fs, file: c.map.file }],
      ),
    },
    {
      name: 'admin',
      *body(k, t, c: UnbindCtx) {
        yield* unbindNamespace(k, t, c.w.ns);
        c.gone = true;
        k.waits.wake('unbind:gone');
      },
    },
  ];
}
