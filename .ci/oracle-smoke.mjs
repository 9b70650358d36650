// Checks the CI smoke boot of `daxref oracle`: on a real kernel, one scenario passes and one
// fails (DMA corruption), as the model predicts for the kernel's variant.
import { readFileSync } from 'node:fs';

const f = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const k = f.kernels[0];
const by = Object.fromEntries(k.scenarios.map((s) => [s.scenario, s]));
const want = [
  ['longterm-pin-refused', 'pass', null],
  ['munmap-then-truncate-dma', 'fail', 'dma-corruption'],
];
let bad = 0;
for (const [id, verdict, kind] of want) {
  const s = by[id];
  const ok = s && s.real.verdict === verdict && (kind === null || s.real.kinds.includes(kind)) && s.agree;
  console.log(
    `oracle smoke: ${k.release} ${id}: real ${s ? s.real.verdict : 'missing'} (${s ? s.real.kinds.join(',') : ''}), model ${s ? s.model.verdict : '?'} ${ok ? 'ok' : 'UNEXPECTED'}`,
  );
  if (!ok) bad++;
}
console.log(`oracle smoke: boot ${(k.bootMs / 1000).toFixed(1)} s, status ${k.status}`);
process.exit(bad === 0 && k.status !== 'boot-failed' ? 0 : 1);
