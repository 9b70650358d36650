// The explorer benchmark's scenario: 3 tasks, about 60 scheduler steps, page get/put on shared
// RAM pages with a wait/wake handshake, under the core alone (no policy). Loaded by worker threads.
import { getPage, PREEMPT, putPage } from '../dist/index.js';

const ROUNDS = 19;

function* worker(k, t, ctx, me) {
  const a = ctx.pfns[me];
  const b = ctx.pfns[(me + 1) % 3];
  for (let i = 0; i < ROUNDS; i++) {
    getPage(k, t, i & 1 ? a : b);
    yield PREEMPT;
    putPage(k, t, i & 1 ? a : b);
  }
  ctx.done++;
  k.waits.wake('bench-done');
}

/** @type {import('../dist/index.js').Scenario<{ pfns: number[]; done: number }>} */
export const benchScenario = {
  id: 'bench-3x20',
  title: '3 tasks x 20 steps of get/put on shared pages',
  source: 'daxref explorer benchmark',
  kernel: { ramPages: 512 },
  setup(k) {
    return { pfns: [k.ram.alloc(), k.ram.alloc(), k.ram.alloc()], done: 0 };
  },
  tasks: [
    { name: 'w0', body: (k, t, c) => worker(k, t, c, 0) },
    { name: 'w1', body: (k, t, c) => worker(k, t, c, 1) },
    { name: 'w2', body: (k, t, c) => worker(k, t, c, 2) },
  ],
};

/** The policy factory the workers load: the core alone. */
export function noPolicy() {
  return null;
}
