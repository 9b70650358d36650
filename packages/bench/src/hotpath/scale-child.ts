// Memmap scale for bench.json: a 16,777,216-page namespace, instantiated and 1% touched; the
// memory measured after a forced GC. Run with --expose-gc from the built dist.
import { Memmap, PG_ZONE_DEVICE } from '@daxref/core';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('scale-child: run with node --expose-gc\n');
  process.exit(2);
}
const mem = () => {
  gc();
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};
const PAGES = 16_777_216;
const START = 1 << 24;
const before = mem();
const t0 = process.hrtime.bigint();
const m = new Memmap();
m.addRange({ startPfn: START, nrPages: PAGES, refcount: 1, flags: PG_ZONE_DEVICE, pgmapId: 1 });
const instantiateMs = Number(process.hrtime.bigint() - t0) / 1e6;
let x = 12345;
for (let i = 0; i < PAGES / 100; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  m.refAdd(START + (x % PAGES), 1);
}
const bytes = mem() - before;
process.stdout.write(
  JSON.stringify({ pages: PAGES, bytesPerPage: bytes / m.stats().allocatedPages, instantiateMs }),
);
