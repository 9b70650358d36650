// Where a process's CPU time went, per thread: preload it into any benchmark,
//   node --import ./bench/thread-cpu.mjs bench/explorer.mjs --workers 2
// and at exit it prints CPU seconds (user + system, from /proc/self/task/*/stat) per thread
// name: the main thread, worker threads, V8's platform threads (GC helpers, compilers), libuv.
// Linux only; prints nothing elsewhere.
import { readdirSync, readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ: /proc reports times in clock ticks of 1/100 s

function threads() {
  const out = [];
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(tid), name, cpu: (Number(f[11]) + Number(f[12])) / HZ });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

// Worker threads end before 'exit': sample every 100 ms and keep each thread's last reading.
const seen = new Map();
const sample = () => {
  for (const t of threads()) seen.set(t.tid, t);
};
setInterval(sample, 100).unref();
const t0 = performance.now();
process.on('exit', () => {
  sample();
  const ts = [...seen.values()].sort((a, b) => b.cpu - a.cpu);
  const total = ts.reduce((s, t) => s + t.cpu, 0);
  if (total === 0) return;
  const wall = (performance.now() - t0) / 1000;
  process.stderr.write(
    `CPU ${total.toFixed(2)} s over ${wall.toFixed(2)} s wall (${(total / wall).toFixed(2)} cores busy on average); per thread:\n`,
  );
  // Node 20 leaves worker and V8 platform threads all named 'node': a worker thread running
  // units shows up next to main with similar time; V8's GC helpers and compilers are the rest.
  for (const t of ts.filter((x) => x.cpu > 0)) {
    const who = t.tid === process.pid ? 'main' : t.name;
    process.stderr.write(
      `  ${String(t.tid).padEnd(7)} ${who.padEnd(16)} ${t.cpu.toFixed(2)} s (${((t.cpu / total) * 100).toFixed(1)}%)\n`,
    );
  }
});
