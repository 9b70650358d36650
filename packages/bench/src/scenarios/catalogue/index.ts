import type { CatalogueEntry } from '../entry';
import { daxFolioSplitStaleOrder } from './dax-folio-split-stale-order';
import { evictDuringDma } from './evict-during-dma';
import { faultRwBasic } from './fault-rw-basic';
import { forkPmd } from './fork-pmd';
import { forkSplitVma } from './fork-split-vma';
import { fsyncTruncateDma } from './fsync-truncate-dma';
import { getHolderMunmapTruncate } from './get-holder-munmap-truncate';
import { getHolderVsPinWait } from './get-holder-vs-pin-wait';
import { gupOnZeroRef } from './gup-on-zero-ref';
import { gupPinUnpin } from './gup-pin-unpin';
import { leaseBreak } from './lease-break';
import { longtermPinRefused } from './longterm-pin-refused';
import { munmapThenTruncate } from './munmap-then-truncate-dma';
import { odirectUnfaulted } from './odirect-unfaulted';
import { poisonPunchHole } from './poison-punch-hole';
import { reflinkCow } from './reflink-cow';
import { reflinkSharedBlock } from './reflink-shared-block';
import { reflinkTruncateGetholder } from './reflink-truncate-getholder';
import { reflinkTruncatePinned } from './reflink-truncate-pinned';
import { reflinkTruncateRefault } from './reflink-truncate-refault';
import { releasePagesPut } from './release-pages-put';
import { tlbGatherWindow } from './tlb-gather-window';
import { truncateDuringDma } from './truncate-during-dma';
import { truncateIdle } from './truncate-idle';
import { truncateRefaultWhilePinned } from './truncate-refault-while-pinned';
import { unbindIdle } from './unbind-idle';
import { unbindWhileMapped } from './unbind-while-mapped';
import { unbindWhileMappedNoRmapbt } from './unbind-while-mapped-no-rmapbt';
import { unbindWhileMappedRmapbt } from './unbind-while-mapped-rmapbt';
import { unbindWhilePinned } from './unbind-while-pinned';
import { unpinMissedWakeup } from './unpin-missed-wakeup';
import { virtiofsEvictDax } from './virtiofs-evict-dax';

/** The catalogue, in report order: the failure sequences of DOMAIN §6, then the normal workloads. */
export const CATALOGUE: readonly CatalogueEntry[] = [
  unpinMissedWakeup,
  releasePagesPut,
  truncateDuringDma,
  munmapThenTruncate,
  evictDuringDma,
  unbindWhileMapped,
  unbindWhileMappedNoRmapbt,
  unbindWhileMappedRmapbt,
  unbindWhilePinned,
  gupOnZeroRef,
  getHolderVsPinWait,
  getHolderMunmapTruncate,
  tlbGatherWindow,
  forkSplitVma,
  reflinkSharedBlock,
  reflinkTruncateRefault,
  truncateRefaultWhilePinned,
  reflinkTruncateGetholder,
  reflinkTruncatePinned,
  fsyncTruncateDma,
  virtiofsEvictDax,
  daxFolioSplitStaleOrder,
  longtermPinRefused,
  leaseBreak,
  faultRwBasic,
  gupPinUnpin,
  truncateIdle,
  unbindIdle,
  forkPmd,
  odirectUnfaulted,
  poisonPunchHole,
  reflinkCow,
];
