// Memmap scale: describe a 64 GiB namespace at 4 KiB pages (16,777,216 struct pages), touch a
// scattered 1% of it, and report the memory the memmap really holds (heap + array buffers,
// measured after a forced GC) per page touched-or-allocated. Runs against the built dist.
// Usage: node --expose-gc bench/memmap-scale.mjs [--json]
import { Memmap, PG_ZONE_DEVICE } from '../dist/index.js';

if (typeof globalThis.gc !== 'function') {
  console.error('memmap-scale: run with node --expose-gc');
  process.exit(2);
}
const mem = () => {
  globalThis.gc();
  globalThis.gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

const PAGES = 16_777_216;
const START = 1 << 24;
const before = mem();
const t0 = process.hrtime.bigint();
const m = new Memmap();
m.addRange({ startPfn: START, nrPages: PAGES, refcount: 1, flags: PG_ZONE_DEVICE, pgmapId: 1 });
const t1 = process.hrtime.bigint();
const described = mem() - before;
let x = 12345;
const touched = new Set();
for (let i = 0; i < PAGES / 100; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  const pfn = START + (x % PAGES);
  m.refAdd(pfn, 1);
  touched.add(pfn);
}
const t2 = process.hrtime.bigint();
const total = mem() - before;
const s = m.stats();
const result = {
  pages: PAGES,
  touchedPages: touched.size,
  allocatedPages: s.allocatedPages,
  describeBytes: described,
  describeMs: Number(t1 - t0) / 1e6,
  touchMs: Number(t2 - t1) / 1e6,
  measuredBytes: total,
  bytesPerPage: total / Math.max(s.allocatedPages, touched.size),
  modelBytesPerPage: (s.storageBytes + s.directoryBytes) / s.allocatedPages,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(
    `memmap scale: ${PAGES.toLocaleString('en')} pages (64 GiB), ${touched.size.toLocaleString('en')} touched (1%, scattered)`,
  );
  console.log(`  describe: ${result.describeMs.toFixed(1)} ms, ${(described / 1024).toFixed(0)} KiB`);
  console.log(
    `  touch:    ${result.touchMs.toFixed(1)} ms; ${s.allocatedPages.toLocaleString('en')} pages allocated (2 MiB chunks)`,
  );
  console.log(
    `  memory:   ${(total / 2 ** 20).toFixed(1)} MiB measured = ${result.bytesPerPage.toFixed(2)} bytes per page touched-or-allocated (target <= 24)`,
  );
}
