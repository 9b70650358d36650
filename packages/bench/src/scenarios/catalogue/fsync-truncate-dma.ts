import { type CatalogueEntry, expect } from '../entry';
import { dmaTask, pinSetup, pinTeardown, reuseTask, truncateTask } from '../tasks';

export const fsyncTruncateDma: CatalogueEntry = {
  kind: 'failure',
  scenario: {
    id: 'fsync-truncate-dma',
    title:
      'T1 pins P and starts DMA; T2 fsyncs (dax_writeback_one locks P’s entry); T3 truncates while the entry is locked; T4 reuses the block',
    source:
      '6be3e21d25ca "fs/dax: don’t skip locked entries when scanning entries" (6.15): ≤6.14 get_unlocked_entry() moves past a locked entry and dax_layout_busy_page_range() misses the DMA-busy page (6.15.0 still skipped via xas_pause() until a later hotfix)',
    setup: pinSetup,
    tasks: [
      reuseTask(),
      dmaTask('dma', 'pin'),
      {
        name: 'fsync',
        *body(k, t, c) {
          yield* c.w.fs.fsync(k, t, c.map.file);
        },
      },
      truncateTask(),
    ],
    teardown: pinTeardown,
  },
  expected: expect({
    '1based@v6.14': 'dma-corruption',
    '0based@v6.15': 'pass',
  }),
};
