import { exitMmap, type Kernel } from '@daxref/core';
import { type CatalogueEntry, expect } from '../entry';
import type { UnbindCtx } from '../tasks';
import { daxWorld, mapFile } from '../world';

export const virtiofsEvictDax: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'virtiofs-evict-dax',
    title:
      'a DAX file of a filesystem whose ->evict_inode does not call dax_break_layout_final (FUSE / virtiofs in 6.15.0) is mapped, unmapped, unlinked and closed',
    source:
      '"fuse: ensure all DAX pages are idle prior to filesystem unmount" (Haiyue Wang, 2025): 6.15.0 hit WARN_ON_ONCE in truncate_folio_batch_exceptionals (mm/truncate.c:89)',
    setup(k: Kernel): UnbindCtx {
      const w = daxWorld(k, { evictBreaksLayouts: false });
      return { w, map: mapFile(w, 'f', 1), gone: false };
    },
    tasks: [
      {
        name: 'user',
        *body(k, t, c: UnbindCtx) {
          yield* exitMmap(k, t, c.map.mm);
          yield* c.w.fs.unlink(k, t, c.map.file);
          yield* c.w.fs.close(k, t, c.map.file);
        },
      },
    ],
  },
  expected: expect({
    '1based@v6.14': 'pass',
    '0based@v6.15': 'warn',
  }),
};
