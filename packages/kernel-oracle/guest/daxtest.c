/*
 * daxtest: the guest side of `daxref oracle`. One subcommand per scenario that user space can
 * drive on a real kernel; each prints evidence lines ("DAXTEST [t] ...") and exactly one
 * "DAXTEST RESULT <id> verdict=<pass|fail|inconclusive> kinds=<k,...> ..." line.
 *
 * Built static by the host (`gcc -static -O2 -pthread`). The guest's init script sets up
 * /mnt (xfs, dax=always, reflink=1) on /dev/pmem0 and /dev/mapper/daxdelay (dm-delay over
 * brd, 5 s, filled with 0xD5), then runs `daxtest run <seconds> <id> [key=value...]`:
 * the parent is a watchdog that dumps every thread's stack and kills the test on timeout.
 *
 * The "DMA" is an O_DIRECT AIO read from dm-delay into a page of a DAX mapping (or a write
 * from it): the page is held by the bio from io_submit until completion 5 s later.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/if_xdp.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define PG 4096
#define MNT "/mnt"
#define DELAY_DEV "/dev/mapper/daxdelay"
#define OWN 0x77    /* what a reused block's new owner writes */
#define MARK 0xD5   /* what the "DMA" device holds */
#define FILEB 0x11  /* what the file under test holds */

static double t0;
static const char *cur = "?";
static volatile int *shared_done; /* set once a RESULT line is printed (shared with the watchdog) */
static double grace = 5.0;        /* seconds a waiter may stay asleep after its holder let go */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void emit(const char *buf, int n) {
  while (n > 0) {
    ssize_t w = write(1, buf, n);
    if (w <= 0) return;
    buf += w;
    n -= w;
  }
}

static void say(const char *fmt, ...) {
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "DAXTEST [%8.3f] ", now() - t0);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  va_end(ap);
  n += m < 0 ? 0 : (m > (int)(sizeof buf - n - 2) ? (int)(sizeof buf - n - 2) : m);
  buf[n++] = '\n';
  emit(buf, n);
}

/* The one result line of a test. kinds: comma-separated, "" for none. */
static void result(const char *verdict, const char *kinds, const char *fmt, ...) {
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "DAXTEST RESULT %s verdict=%s kinds=%s ", cur, verdict,
                   kinds[0] ? kinds : "-");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  va_end(ap);
  n += m < 0 ? 0 : (m > (int)(sizeof buf - n - 2) ? (int)(sizeof buf - n - 2) : m);
  buf[n++] = '\n';
  emit(buf, n);
  if (shared_done) *shared_done = 1;
}

static void die(const char *what) {
  say("setup error: %s: %s", what, strerror(errno));
  result("inconclusive", "", "error=\"%s: %s\"", what, strerror(errno));
  exit(1);
}

static void msleep(int ms) { usleep(ms * 1000); }

static char task_state(pid_t pid, pid_t tid) {
  char p[128], buf[512];
  snprintf(p, sizeof p, "/proc/%d/task/%d/stat", pid, tid);
  int fd = open(p, O_RDONLY);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] && rp[2] ? rp[2] : '?';
}

/* Print a thread's state, wchan and kernel stack: the evidence of where it sleeps. */
static void dump_task(pid_t pid, pid_t tid, const char *who) {
  char p[128], buf[4096];
  snprintf(p, sizeof p, "/proc/%d/task/%d/wchan", pid, tid);
  int fd = open(p, O_RDONLY);
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0;
  say("%s: tid %d state=%c wchan=%s", who, tid, task_state(pid, tid), buf);
  snprintf(p, sizeof p, "/proc/%d/task/%d/stack", pid, tid);
  fd = open(p, O_RDONLY);
  if (fd < 0) return;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) say("%s:   stack %s", who, line);
}

static void sysrq(char c) {
  int fd = open("/proc/sysrq-trigger", O_WRONLY);
  if (fd >= 0) {
    if (write(fd, &c, 1) < 0) say("sysrq %c: %s", c, strerror(errno));
    close(fd);
  }
}

static void on_usr1(int sig) { (void)sig; }

/* ---- blocking operations run on a thread, so the main thread can watch them ---- */

enum op_kind { OP_TRUNCATE, OP_CLOSE, OP_WRITE_SYSFS, OP_UMOUNT };

struct op {
  enum op_kind kind;
  int fd;
  const char *path, *text;
  pthread_t th;
  volatile pid_t tid;
  volatile int done;
  int ret, err;
  double start, end;
};

static void *op_main(void *arg) {
  struct op *o = arg;
  o->tid = gettid();
  o->start = now();
  switch (o->kind) {
  case OP_TRUNCATE: o->ret = ftruncate(o->fd, 0); break;
  case OP_CLOSE: o->ret = close(o->fd); break;
  case OP_UMOUNT: o->ret = umount(o->path); break;
  case OP_WRITE_SYSFS: {
    int fd = open(o->path, O_WRONLY);
    o->ret = fd < 0 ? -1 : (int)write(fd, o->text, strlen(o->text));
    int e = errno;
    if (fd >= 0) close(fd);
    errno = e;
    break;
  }
  }
  o->err = o->ret < 0 ? errno : 0;
  o->end = now();
  __atomic_store_n(&o->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void op_start(struct op *o) {
  o->done = 0;
  o->tid = 0;
  if (pthread_create(&o->th, NULL, op_main, o)) die("pthread_create");
  while (!o->tid) sched_yield();
}

static int op_done(struct op *o) { return __atomic_load_n(&o->done, __ATOMIC_ACQUIRE); }

/* Wait until done or `secs` passed; returns done. */
static int op_wait(struct op *o, double secs) {
  double end = now() + secs;
  while (!op_done(o) && now() < end) msleep(2);
  if (op_done(o)) pthread_join(o->th, NULL);
  return op_done(o);
}

static const char *op_name(struct op *o) {
  switch (o->kind) {
  case OP_TRUNCATE: return "ftruncate(f, 0)";
  case OP_CLOSE: return "close(f)";
  case OP_UMOUNT: return "umount";
  default: return "unbind";
  }
}

/* ---- the "DMA": O_DIRECT AIO against dm-delay ---- */

struct dma {
  aio_context_t ctx;
  int fd, write;
  void *buf;
  off_t off;
  pthread_t th;
  volatile pid_t tid;
  volatile int submitted, done;
  long res;
  double submit, complete;
};

static void *dma_main(void *arg) {
  struct dma *d = arg;
  d->tid = gettid();
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_fildes = d->fd;
  cb.aio_lio_opcode = d->write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
  cb.aio_buf = (uint64_t)(uintptr_t)d->buf;
  cb.aio_nbytes = PG;
  cb.aio_offset = d->off;
  struct iocb *list[1] = {&cb};
  d->submit = now();
  long r = syscall(SYS_io_submit, d->ctx, 1, list);
  if (r != 1) {
    d->res = -errno;
    __atomic_store_n(&d->submitted, -1, __ATOMIC_RELEASE);
    return NULL;
  }
  __atomic_store_n(&d->submitted, 1, __ATOMIC_RELEASE);
  struct io_event ev;
  r = syscall(SYS_io_getevents, d->ctx, 1, 1, &ev, NULL);
  d->complete = now();
  d->res = r == 1 ? (long)ev.res : -errno;
  __atomic_store_n(&d->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

/* Start a DMA into (write=0) or from (write=1) buf. Returns 1 when io_submit returned in time,
   0 when it is still inside io_submit after `secs` (a GUP livelock), -1 on error. */
static int dma_start(struct dma *d, void *buf, int write, double secs) {
  memset(d, 0, sizeof *d);
  d->fd = open(DELAY_DEV, O_RDWR | O_DIRECT);
  if (d->fd < 0) die("open " DELAY_DEV);
  if (syscall(SYS_io_setup, 4, &d->ctx)) die("io_setup");
  d->buf = buf;
  d->write = write;
  d->off = write ? 8 << 20 : 0; /* writes go to the second half: the marker stays intact */
  if (pthread_create(&d->th, NULL, dma_main, d)) die("pthread_create");
  double end = now() + secs;
  int s;
  while (!(s = __atomic_load_n(&d->submitted, __ATOMIC_ACQUIRE)) && now() < end) msleep(2);
  if (s == 1) say("T1: DMA (AIO %s) submitted, in flight for 5 s", write ? "write from the DAX page" : "read into the DAX page");
  if (s == -1) say("T1: io_submit failed: %s", strerror((int)-d->res));
  return s;
}

static int dma_done(struct dma *d) { return __atomic_load_n(&d->done, __ATOMIC_ACQUIRE); }

static int dma_wait(struct dma *d, double secs) {
  double end = now() + secs;
  while (!dma_done(d) && now() < end) msleep(2);
  if (dma_done(d)) {
    say("T1: DMA (AIO %s) completed res=%ld, %.3fs after submit", d->write ? "write" : "read", d->res,
        d->complete - d->submit);
  }
  return dma_done(d);
}

/* ---- files, blocks and reuse ---- */

static unsigned long long phys_of(int fd) {
  struct {
    struct fiemap f;
    struct fiemap_extent e[1];
  } fm;
  memset(&fm, 0, sizeof fm);
  fm.f.fm_length = ~0ULL;
  fm.f.fm_flags = FIEMAP_FLAG_SYNC;
  fm.f.fm_extent_count = 1;
  if (ioctl(fd, FS_IOC_FIEMAP, &fm) || fm.f.fm_mapped_extents < 1) return ~0ULL;
  return fm.e[0].fe_physical;
}

static int make_file(const char *path, int byte, size_t len) {
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) die(path);
  char *b = malloc(len);
  memset(b, byte, len);
  if (pwrite(fd, b, len, 0) != (ssize_t)len) die("pwrite");
  free(b);
  if (fsync(fd)) die("fsync");
  return fd;
}

static void *map_file(int fd, size_t len, int prot) {
  void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) die("mmap");
  for (size_t i = 0; i < len; i += PG) {
    if (prot & PROT_WRITE) ((volatile char *)p)[i] = ((volatile char *)p)[i];
    else (void)((volatile char *)p)[i];
  }
  return p;
}

/* After a truncate/evict: create 4 KiB files until one is given the freed block. */
static int reuse(unsigned long long phys, char *path, size_t plen) {
  int m = open(MNT, O_RDONLY);
  if (m >= 0) {
    syncfs(m);
    close(m);
  }
  double until = now() + 15.0;
  for (int i = 0; i < 1024 && now() < until; i++) {
    snprintf(path, plen, MNT "/%s.g%d", cur, i);
    int g = make_file(path, OWN, PG);
    unsigned long long gp = phys_of(g);
    if (gp == phys) {
      say("reuse: %s was given the freed block (phys %llu) after %d files", path, phys, i + 1);
      return g;
    }
    close(g);
  }
  say("reuse: the freed block (phys %llu) was not reallocated (1024 files or 15 s)", phys);
  return -1;
}

/* What a 4 KiB buffer holds; returns how many bytes are the DMA's marker. */
static int describe(const char *who, const unsigned char *b, int own) {
  int o = 0, mk = 0;
  for (int i = 0; i < PG; i++) {
    o += b[i] == own;
    mk += b[i] == MARK;
  }
  say("%s: %d bytes: 0x%02X(own data) x%d, 0x%02X(DMA data) x%d, other x%d", who, PG, own, o, MARK, mk,
      PG - o - mk);
  return mk;
}

static int content_of(int g, const char *who) {
  unsigned char b[PG];
  if (pread(g, b, PG, 0) != PG) die("pread");
  return describe(who, b, OWN);
}

/* ---- the verdict on a waiter once its holder let go ---- */

enum wres { W_RETURNED, W_MISSED, W_HANG_UNMAP, W_HANG };

/* o: the blocked operation; t_rel: when the holder let go; amap/alen: another mapping of the
   same block whose munmap may release the waiter (reflink); retry_fd: for the retried truncate. */
static enum wres judge_wait(struct op *o, double t_rel, void *amap, size_t alen, int retry_fd) {
  while (!op_done(o) && now() - t_rel < grace) msleep(2);
  if (op_done(o)) {
    pthread_join(o->th, NULL);
    say("T2: %s returned ret=%d %.3fs after the holder let go (blocked %.3fs in total)", op_name(o),
        o->ret, o->end - t_rel, o->end - o->start);
    return W_RETURNED;
  }
  say("T2: %s STILL BLOCKED %.0fs after the holder let go:", op_name(o), grace);
  dump_task(getpid(), o->tid, "T2");
  if (amap) {
    /* Does another mapping of the shared block keep it asleep? (0-based: a's mapping holds a reference) */
    double tm = now();
    munmap(amap, alen);
    say("T2: munmap(a) while %s is asleep", op_name(o));
    if (op_wait(o, 3.0)) {
      say("T2: after munmap(a): %s returned ret=%d %.3fs after the munmap", op_name(o), o->ret, o->end - tm);
      return W_HANG_UNMAP;
    }
    say("T2: munmap(a) did not end the wait");
  }
  if (task_state(getpid(), o->tid) == 'S') {
    double ts = now();
    pthread_kill(o->th, SIGUSR1);
    op_wait(o, 1.0);
    if (op_done(o) && o->ret == 0) {
      say("T2: after SIGUSR1: returned, ret=0, %.3fs after the signal: the signal only woke the sleeper, "
          "which found its wait condition already true: a missed wake-up",
          o->end - ts);
      if (retry_fd >= 0) {
        double r0 = now();
        int r = ftruncate(retry_fd, 0);
        say("T2: retried ftruncate(f, 0): ret=%d, returned after %.3fs", r, now() - r0);
      }
      return W_MISSED;
    }
    if (op_done(o)) {
      say("T2: after SIGUSR1: returned ret=%d (%s): interrupted, its wait condition is still false", o->ret,
          strerror(o->err));
      return W_HANG;
    }
  }
  if (op_wait(o, 5.0)) {
    say("T2: %s returned at last, %.3fs after the holder let go", op_name(o), o->end - t_rel);
    return W_RETURNED;
  }
  dump_task(getpid(), o->tid, "T2");
  return W_HANG;
}

/* ---- scenarios ---- */

enum dma_mode { M_TRUNCATE, M_MUNMAP_TRUNCATE, M_EVICT };

/* truncate-during-dma, munmap-then-truncate-dma, evict-during-dma */
static void t_dma(enum dma_mode mode) {
  char path[256], gpath[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, PG);
  unsigned char *p = map_file(f, PG, PROT_READ | PROT_WRITE);
  unsigned long long phys = phys_of(f);
  say("file %s: block at phys %llu, mapped at %p", path, phys, (void *)p);
  struct dma d;
  if (dma_start(&d, p, 0, 8.0) != 1) {
    result("inconclusive", "", "error=io_submit");
    return;
  }
  msleep(100);
  if (mode != M_TRUNCATE) {
    munmap(p, PG);
    say("T2: munmap(p) while the DMA is in flight");
  }
  struct op o = {.kind = mode == M_EVICT ? OP_CLOSE : OP_TRUNCATE, .fd = f};
  if (mode == M_EVICT) {
    unlink(path);
    say("T2: unlink(f); the next close(f) drops the last reference and evicts the inode");
  }
  op_start(&o);
  int sampled = 0;
  while (!op_done(&o) && !dma_done(&d)) {
    msleep(2);
    if (!sampled && now() - o.start > 1.0) {
      sampled = 1;
      dump_task(getpid(), o.tid, "T2");
    }
  }
  if (op_done(&o) && !dma_done(&d)) {
    pthread_join(o.th, NULL);
    say("T2: %s returned %d after %.3fs, while the DMA is still in flight", op_name(&o), o.ret,
        o.end - o.start);
    int g = reuse(phys, gpath, sizeof gpath);
    dma_wait(&d, 10.0);
    msleep(50);
    if (g < 0) {
      result("inconclusive", "", "early_return=yes reuse=no");
      return;
    }
    int mk = content_of(g, "T3: g (owner of the freed block) now holds");
    if (mk > 0)
      result("fail", "dma-corruption", "early_return=yes truncate_s=%.3f dma_bytes_in_new_owner=%d",
             o.end - o.start, mk);
    else result("pass", "", "early_return=yes dma_bytes_in_new_owner=0");
    return;
  }
  dma_wait(&d, 0);
  enum wres w = judge_wait(&o, d.complete, NULL, 0, mode == M_EVICT ? -1 : f);
  if (w == W_MISSED) {
    result("fail", "missed-wakeup", "blocked_after_dma_s=%.0f", grace);
    return;
  }
  if (w == W_HANG) {
    result("fail", "hang", "blocked_after_dma_s=%.0f", grace + 5);
    return;
  }
  int g = reuse(phys, gpath, sizeof gpath);
  int mk = g >= 0 ? content_of(g, "T3: g (owner of the freed block) holds") : 0;
  if (mk > 0) result("fail", "dma-corruption", "waited_s=%.3f dma_bytes_in_new_owner=%d", o.end - o.start, mk);
  else result("pass", "", "waited_s=%.3f returned_after_dma_s=%.3f", o.end - o.start, o.end - d.complete);
}

/* get-holder-vs-pin-wait (munmap_first=0), get-holder-munmap-truncate (munmap_first=1):
   vmsplice holds the DAX page with FOLL_GET until the pipe is read. */
static void t_getholder(int munmap_first) {
  char path[256], gpath[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, PG);
  unsigned char *p = map_file(f, PG, PROT_READ | PROT_WRITE);
  unsigned long long phys = phys_of(f);
  int pp[2];
  if (pipe(pp)) die("pipe");
  struct iovec v = {p, PG};
  ssize_t n = vmsplice(pp[1], &v, 1, 0);
  say("T1: vmsplice of the DAX page into a pipe: %zd (the pipe holds a FOLL_GET reference)", n);
  if (n != PG) {
    result("inconclusive", "", "error=vmsplice");
    return;
  }
  if (munmap_first) {
    munmap(p, PG);
    say("T2: munmap(p)");
  }
  struct op o = {.kind = OP_TRUNCATE, .fd = f};
  op_start(&o);
  if (op_wait(&o, 3.0)) {
    say("T2: ftruncate(f, 0) returned %d after %.3fs while the pipe holds the page", o.ret, o.end - o.start);
    int g = reuse(phys, gpath, sizeof gpath);
    unsigned char b[PG];
    if (read(pp[0], b, PG) != PG) die("read pipe");
    int mk = 0, own = 0;
    for (int i = 0; i < PG; i++) own += b[i] == OWN, mk += b[i] == FILEB;
    say("T1: the pipe returns: 0x%02X(next owner's data) x%d, 0x%02X(the truncated file's data) x%d", OWN, own,
        FILEB, mk);
    if (g >= 0 && own > 0) result("fail", "stale-read", "early_return=yes next_owner_bytes=%d", own);
    else result("pass", "", "early_return=yes next_owner_bytes=%d reuse=%s", own, g >= 0 ? "yes" : "no");
    return;
  }
  dump_task(getpid(), o.tid, "T2");
  unsigned char b[PG];
  if (read(pp[0], b, PG) != PG) die("read pipe");
  double t_rel = now();
  say("T1: read the pipe: the FOLL_GET reference is dropped");
  enum wres w = judge_wait(&o, t_rel, NULL, 0, f);
  if (w == W_MISSED) result("fail", "missed-wakeup", "");
  else if (w == W_HANG) result("fail", "hang", "");
  else result("pass", "", "waited_s=%.3f returned_after_release_s=%.3f", o.end - o.start, o.end - t_rel);
}

/* a and b share one block (FICLONE). */
static int clone_pair(int *fa, int *fb, unsigned long long *phys) {
  char pa[256], pb[256];
  snprintf(pa, sizeof pa, MNT "/%s.a", cur);
  snprintf(pb, sizeof pb, MNT "/%s.b", cur);
  *fa = make_file(pa, 0x41, PG);
  *fb = open(pb, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (*fb < 0) die(pb);
  if (ioctl(*fb, FICLONE, *fa)) die("FICLONE");
  *phys = phys_of(*fa);
  unsigned long long pbp = phys_of(*fb);
  if (pbp != *phys) {
    say("FICLONE: b's block %llu differs from a's %llu", pbp, *phys);
    return -1;
  }
  return 0;
}

static void unlink_pair(void) {
  char p[256];
  snprintf(p, sizeof p, MNT "/%s.a", cur);
  unlink(p);
  snprintf(p, sizeof p, MNT "/%s.b", cur);
  unlink(p);
}

/* reflink-shared-block: both files map the shared block by read faults, b is truncated,
   then a; the console's WARN lines are the verdict's evidence (the host reads them). */
static void t_reflink_shared(void) {
  int fa, fb;
  unsigned long long phys;
  if (clone_pair(&fa, &fb, &phys)) {
    result("inconclusive", "", "error=FICLONE");
    return;
  }
  say("a and b share the block at phys %llu", phys);
  void *ma = map_file(fa, PG, PROT_READ);
  void *mb = map_file(fb, PG, PROT_READ);
  say("read faults of the shared block through a and through b done");
  struct op o = {.kind = OP_TRUNCATE, .fd = fb};
  op_start(&o);
  if (!op_wait(&o, 10.0)) {
    dump_task(getpid(), o.tid, "T2");
    munmap(ma, PG);
    int back = op_wait(&o, 3.0);
    result("fail", "hang", "truncate_b_blocked=yes released_by_munmap_of_a=%s", back ? "yes" : "no");
    return;
  }
  say("ftruncate(b, 0) returned %d after %.3fs", o.ret, o.end - o.start);
  munmap(ma, PG);
  munmap(mb, PG);
  double t = now();
  int r = ftruncate(fa, 0);
  say("ftruncate(a, 0) returned %d after %.3fs", r, now() - t);
  close(fa);
  close(fb);
  unlink_pair();
  result("pass", "", "truncate_b_s=%.3f", o.end - o.start);
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t xrand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* reflink-truncate-refault: b is truncated while a munmaps, re-mmaps and faults the shared
   block in again; repeated (randomised timing) until a truncate stays asleep or the bound. */
static void t_reflink_refault(int max_iter, double max_secs) {
  double start = now(), max_trunc = 0;
  for (int i = 0; i < max_iter && now() - start < max_secs; i++) {
    int fa, fb;
    unsigned long long phys;
    if (clone_pair(&fa, &fb, &phys)) {
      result("inconclusive", "", "error=FICLONE iterations=%d", i);
      return;
    }
    void *ma = map_file(fa, PG, PROT_READ);
    void *mb = map_file(fb, PG, PROT_READ);
    struct op o = {.kind = OP_TRUNCATE, .fd = fb};
    unsigned spin = xrand() % 20000;
    op_start(&o);
    for (volatile unsigned s = 0; s < spin; s++) {
    }
    munmap(ma, PG);
    ma = map_file(fa, PG, PROT_READ);
    if (!op_wait(&o, 2.0)) {
      say("iteration %d: ftruncate(b) blocked for 2s while a holds its new mapping:", i);
      dump_task(getpid(), o.tid, "T2");
      if (op_wait(&o, 5.0)) {
        say("iteration %d: ftruncate(b) returned after %.3fs", i, o.end - o.start);
      } else {
        say("iteration %d: still blocked after 7s in total: HANG; now munmap(a)", i);
        double tm = now();
        munmap(ma, PG);
        int back = op_wait(&o, 3.0);
        if (back) say("iteration %d: after munmap(a): ftruncate(b) returned (%.3fs after the munmap)", i, o.end - tm);
        result("fail", "hang", "iterations=%d elapsed=%.1fs max_truncate=%.4fs released_by_munmap_of_a=%s", i + 1,
               now() - start, max_trunc, back ? "yes" : "no");
        return;
      }
    }
    if (o.end - o.start > max_trunc) max_trunc = o.end - o.start;
    munmap(ma, PG);
    munmap(mb, PG);
    close(fa);
    close(fb);
    unlink_pair();
    if (i + 1 == max_iter || now() - start >= max_secs) {
      result("pass", "", "note=no-hang-observed iterations=%d elapsed=%.1fs max_truncate=%.4fs", i + 1,
             now() - start, max_trunc);
      return;
    }
  }
  result("pass", "", "note=no-hang-observed iterations=0");
}

/* reflink-truncate-getholder (pinned=0: vmsplice FOLL_GET through a's mapping) and
   reflink-truncate-pinned (pinned=1: an O_DIRECT write from a's mapping, FOLL_PIN). */
static void t_reflink_holder(int pinned) {
  int fa, fb;
  unsigned long long phys;
  if (clone_pair(&fa, &fb, &phys)) {
    result("inconclusive", "", "error=FICLONE");
    return;
  }
  say("a and b share the block at phys %llu", phys);
  void *ma = map_file(fa, PG, PROT_READ);
  void *mb = map_file(fb, PG, PROT_READ);
  int pp[2];
  struct dma d;
  if (pinned) {
    int s = dma_start(&d, ma, 1, 8.0);
    if (s == 0) {
      say("T1: io_submit has not returned after 8s:");
      dump_task(getpid(), d.tid, "T1");
      char st = task_state(getpid(), d.tid);
      sysrq('l');
      msleep(500);
      result("fail", st == 'R' ? "livelock" : "hang", "io_submit_blocked_s=8 state=%c", st);
      _exit(0); /* the exit's SIGKILL stops the spinning GUP */
    }
    if (s < 0) {
      result("inconclusive", "", "error=io_submit");
      return;
    }
  } else {
    if (pipe(pp)) die("pipe");
    struct iovec v = {ma, PG};
    ssize_t n = vmsplice(pp[1], &v, 1, 0);
    say("T1: vmsplice of a's mapping into a pipe: %zd", n);
  }
  struct op o = {.kind = OP_TRUNCATE, .fd = fb};
  op_start(&o);
  double t_rel;
  if (pinned) {
    while (!dma_done(&d) && !op_done(&o)) msleep(2);
    if (op_done(&o)) say("T2: ftruncate(b, 0) returned %d after %.3fs, DMA in flight", o.ret, now() - o.start);
    else dump_task(getpid(), o.tid, "T2");
    dma_wait(&d, 10.0);
    t_rel = d.complete;
  } else {
    msleep(1000);
    if (op_done(&o)) say("T2: ftruncate(b, 0) returned %d after %.3fs, pipe holds the page", o.ret, o.end - o.start);
    else dump_task(getpid(), o.tid, "T2");
    char b[PG];
    if (read(pp[0], b, PG) != PG) die("read pipe");
    t_rel = now();
    say("T1: read the pipe: its reference is dropped");
  }
  enum wres w = op_done(&o) ? W_RETURNED : judge_wait(&o, t_rel, ma, PG, -1);
  if (op_done(&o)) munmap(mb, PG);
  if (w == W_MISSED) result("fail", "missed-wakeup", "");
  else if (w == W_HANG_UNMAP) result("fail", "hang", "released_by_munmap_of_a=yes");
  else if (w == W_HANG) result("fail", "hang", "released_by_munmap_of_a=no");
  else result("pass", "", "truncate_s=%.3f", o.end - o.start);
}

/* longterm-pin-refused: FOLL_LONGTERM pins of an fsdax page must fail; controls succeed. */
static int uring_register(void *p, size_t len) {
  struct io_uring_params par;
  memset(&par, 0, sizeof par);
  int fd = syscall(SYS_io_uring_setup, 4, &par);
  if (fd < 0) return -errno;
  struct iovec v = {p, len};
  int r = syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS, &v, 1);
  r = r < 0 ? -errno : r;
  close(fd);
  return r;
}

static int xdp_register(void *p, size_t len) {
  int s = socket(AF_XDP, SOCK_RAW, 0);
  if (s < 0) return -errno;
  struct xdp_umem_reg mr;
  memset(&mr, 0, sizeof mr);
  mr.addr = (uint64_t)(uintptr_t)p;
  mr.len = len;
  mr.chunk_size = 2048;
  int r = setsockopt(s, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr);
  r = r < 0 ? -errno : r;
  close(s);
  return r;
}

static void t_longterm(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  size_t len = 2 * PG;
  int f = make_file(path, FILEB, len);
  void *p = map_file(f, len, PROT_READ | PROT_WRITE);
  void *anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  int mfd = memfd_create("shm", 0);
  if (mfd < 0 || ftruncate(mfd, len)) die("memfd");
  void *shm = map_file(mfd, len, PROT_READ | PROT_WRITE);
  int iu = uring_register(p, len), xd = xdp_register(p, len);
  int iua = uring_register(anon, len), iush = uring_register(shm, len), xda = xdp_register(anon, len);
  char e1[64], e2[64];
  snprintf(e1, sizeof e1, "%s", iu < 0 ? strerror(-iu) : "accepted");
  snprintf(e2, sizeof e2, "%s", xd < 0 ? strerror(-xd) : "accepted");
  say("IORING_REGISTER_BUFFERS on fsdax: %d (%s); XDP_UMEM_REG on fsdax: %d (%s)", iu, e1, xd, e2);
  say("controls: io_uring_anon=%d io_uring_shmem=%d af_xdp_anon=%d", iua, iush, xda);
  int refused = iu == -EOPNOTSUPP && (xd == -EOPNOTSUPP || xd == -EAFNOSUPPORT);
  int controls = iua == 0 && iush == 0 && (xda == 0 || xd == -EAFNOSUPPORT);
  const char *v = !controls ? "inconclusive" : refused ? "pass" : "fail";
  result(v, refused || !controls ? "" : "longterm-pin-accepted",
         "io_uring_fsdax=%d af_xdp_fsdax=%d controls: io_uring_anon=%d io_uring_shmem=%d af_xdp_anon=%d", iu, xd,
         iua, iush, xda);
}

static char pfn_dev[256];

static int find_pfn(void) {
  DIR *d = opendir("/sys/bus/nd/drivers/nd_pmem");
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, "pfn", 3) && strchr(e->d_name, '.')) snprintf(pfn_dev, sizeof pfn_dev, "%s", e->d_name);
  closedir(d);
  return pfn_dev[0] ? 0 : -1;
}

/* Unbind the namespace's pfn device; returns the op (done or not after `secs`). */
static int unbind(struct op *o, double secs) {
  if (find_pfn()) {
    say("no pfn device bound to nd_pmem");
    return -1;
  }
  o->kind = OP_WRITE_SYSFS;
  o->path = "/sys/bus/nd/drivers/nd_pmem/unbind";
  o->text = pfn_dev;
  say("admin: echo %s > %s", pfn_dev, o->path);
  op_start(o);
  return op_wait(o, secs);
}

static volatile int *mapper_state; /* 1 ready, 2 read done (value in [1]), 3 write done, 4 SIGBUS */
static sigjmp_buf bus_jmp;
static volatile int bus_phase;

static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)uc;
  char buf[160];
  int n = snprintf(buf, sizeof buf, "DAXTEST [%8.3f] mapper: SIGBUS si_code=%d addr=%p during %s\n", now() - t0,
                   si->si_code, si->si_addr, bus_phase == 0 ? "idle (killed by the kernel)" : bus_phase == 1 ? "read" : "write");
  emit(buf, n);
  mapper_state[2 + (bus_phase > 2 ? 2 : bus_phase)] = 1;
  siglongjmp(bus_jmp, 1);
}

/* unbind-while-mapped: a child maps a file and stays idle; the admin unbinds the namespace;
   then the child reads and writes its mapping. */
static void t_unbind_mapped(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, 0x33, PG);
  mapper_state = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  /* [0] phase reached, [1] value read, [2] sigbus idle, [3] sigbus read, [4] sigbus write */
  pid_t c = fork();
  if (c == 0) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    volatile unsigned char *p = map_file(f, PG, PROT_READ | PROT_WRITE);
    say("mapper: pid %d mapped the file, wrote 0x33", getpid());
    if (sigsetjmp(bus_jmp, 1)) _exit(3);
    mapper_state[0] = 1;
    while (mapper_state[0] == 1) msleep(5);
    bus_phase = 1;
    unsigned char v = p[0];
    mapper_state[1] = v;
    say("mapper: read through the old PTE after the unbind returned 0x%02X", v);
    bus_phase = 2;
    p[0] = 0x44;
    mapper_state[5] = 1;
    say("mapper: write through the old PTE succeeded");
    _exit(0);
  }
  while (mapper_state[0] != 1) msleep(5);
  struct op o = {0};
  int back = unbind(&o, 20.0);
  if (back < 0) {
    result("inconclusive", "", "error=no-pfn-device");
    return;
  }
  if (!back) {
    say("admin: unbind has not returned after 20s:");
    dump_task(getpid(), o.tid, "admin");
    sysrq('l');
    msleep(1000);
    int st;
    pid_t w = waitpid(c, &st, WNOHANG);
    result("fail", "unbind-hang", "unbind_returned=no mapper_killed=%s",
           w == c && WIFSIGNALED(st) ? "yes" : mapper_state[2] ? "sigbus" : "no");
    return;
  }
  say("admin: unbind returned %d (%s) after %.3fs", o.ret, o.ret < 0 ? strerror(o.err) : "ok", o.end - o.start);
  mapper_state[0] = 2;
  int st = 0;
  pid_t w = 0;
  for (int i = 0; i < 1000 && w == 0; i++) {
    w = waitpid(c, &st, WNOHANG);
    if (!w) msleep(10);
  }
  if (w == 0) {
    say("mapper has not finished 10s after the unbind");
    dump_task(c, c, "mapper");
  }
  const char *how = w == 0 ? "running" : WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited";
  say("mapper: %s (status 0x%x)", how, st);
  int killed_idle = mapper_state[2], stale = !mapper_state[2] && !mapper_state[3] && mapper_state[1] == 0x33;
  if (stale)
    result("fail", "stale-read", "unbind_s=%.3f mapper_killed_before_access=no stale_read=0x33 write=%s",
           o.end - o.start,
           mapper_state[4]   ? "sigbus"
           : mapper_state[5] ? "ok"
           : w == 0          ? "never-returned"
                             : "killed");
  else
    result("pass", "", "unbind_s=%.3f mapper_killed_before_access=%s", o.end - o.start, killed_idle ? "yes" : "no");
}

/* unbind-while-pinned: a DMA in flight into a DAX page, munmap + close, then unbind. */
static void t_unbind_pinned(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, PG);
  void *p = map_file(f, PG, PROT_READ | PROT_WRITE);
  struct dma d;
  if (dma_start(&d, p, 0, 8.0) != 1) {
    result("inconclusive", "", "error=io_submit");
    return;
  }
  msleep(100);
  munmap(p, PG);
  close(f);
  say("munmap + close while the DMA is in flight");
  struct op o = {0};
  int back = unbind(&o, 1.0);
  if (back < 0) {
    result("inconclusive", "", "error=no-pfn-device");
    return;
  }
  if (!back) {
    dump_task(getpid(), o.tid, "admin");
    back = op_wait(&o, 20.0);
  }
  int early = back && !dma_done(&d);
  if (back)
    say("admin: unbind returned %d after %.3fs, %s", o.ret, o.end - o.start,
        early ? "while the DMA is still in flight" : "after the DMA completed");
  int dd = dma_wait(&d, 8.0);
  if (!dd) say("T1: the DMA has not completed 8s later");
  if (!back) result("fail", "unbind-hang", "unbind_returned=no");
  else if (early)
    result("fail", "use-after-free", "unbind_s=%.3f unbind_before_dma_completed=yes dma_completed=%s",
           o.end - o.start, dd ? "yes" : "no");
  else result("pass", "", "unbind_s=%.3f unbind_waited_for_dma=yes", o.end - o.start);
}

/* fork-split-vma: fork with a 4-page DAX mapping, the child splits the VMA and exits; then
   munmap, umount and unbind must all complete. */
static void t_fork_split(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, 4 * PG);
  char *p = map_file(f, 4 * PG, PROT_READ | PROT_WRITE);
  pid_t c = fork();
  if (c == 0) {
    if (mprotect(p + PG, PG, PROT_READ)) _exit(2);
    (void)((volatile char *)p)[PG];
    p[2 * PG] = 1;
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  say("child split the VMA and exited: status 0x%x", st);
  munmap(p, 4 * PG);
  close(f);
  struct op u = {.kind = OP_UMOUNT, .path = MNT};
  op_start(&u);
  if (!op_wait(&u, 20.0)) {
    dump_task(getpid(), u.tid, "umount");
    result("fail", "hang", "umount_returned=no");
    return;
  }
  say("umount returned %d (%s) after %.3fs", u.ret, u.ret ? strerror(u.err) : "ok", u.end - u.start);
  struct op o = {0};
  int back = unbind(&o, 20.0);
  if (back <= 0) {
    if (back == 0) dump_task(getpid(), o.tid, "admin");
    result(back < 0 ? "inconclusive" : "fail", back < 0 ? "" : "unbind-hang", "umount=%d", u.ret);
    return;
  }
  say("admin: unbind returned %d after %.3fs", o.ret, o.end - o.start);
  result(u.ret == 0 && o.ret > 0 ? "pass" : "fail", u.ret == 0 && o.ret > 0 ? "" : "leak",
         "umount=%d unbind_s=%.3f", u.ret, o.end - o.start);
}


/* ---- normal workloads: each must simply pass ---- */

static int check_bytes(const unsigned char *p, size_t len, int byte) {
  for (size_t i = 0; i < len; i++)
    if (p[i] != byte) return (int)i;
  return -1;
}

/* fault-rw-basic: read and write faults over a 4 MiB file (PMD-sized where aligned). */
static void t_fault_rw(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  size_t len = 4 << 20;
  int f = make_file(path, FILEB, len);
  unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
  if (p == MAP_FAILED) die("mmap");
  int bad = check_bytes(p, len, FILEB);
  memset(p, 0x22, len);
  msync(p, len, MS_SYNC);
  munmap(p, len);
  unsigned char *b = malloc(len);
  if (pread(f, b, len, 0) != (ssize_t)len) die("pread");
  int bad2 = check_bytes(b, len, 0x22);
  say("read faults saw the file's data: %s; writes reached the file: %s", bad < 0 ? "yes" : "no", bad2 < 0 ? "yes" : "no");
  result(bad < 0 && bad2 < 0 ? "pass" : "fail", bad < 0 && bad2 < 0 ? "" : "data-mismatch", "bytes=%zu", len);
}

/* gup-pin-unpin / odirect-unfaulted: a synchronous O_DIRECT write from (pin, unpin) or read into
   the DAX mapping, faulted first or not; then truncate must not wait. */
static void t_gup(int unfaulted) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, PG);
  unsigned char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
  if (p == MAP_FAILED) die("mmap");
  if (!unfaulted) p[0] = FILEB;
  int d = open("/dev/ram0", O_RDWR | O_DIRECT);
  if (d < 0) die("open /dev/ram0");
  ssize_t n = unfaulted ? pread(d, p, PG, 0) : pwrite(d, p, PG, 12 << 20);
  int ok = n == PG && (unfaulted ? check_bytes(p, PG, MARK) < 0 : 1);
  say("O_DIRECT %s the %s DAX page: %zd, data %s", unfaulted ? "read into" : "write from",
      unfaulted ? "unfaulted" : "mapped", n, ok ? "as expected" : "wrong");
  close(d);
  struct op o = {.kind = OP_TRUNCATE, .fd = f};
  op_start(&o);
  int back = op_wait(&o, 10.0);
  if (!back) dump_task(getpid(), o.tid, "T2");
  else say("ftruncate(f, 0) returned %d after %.3fs", o.ret, o.end - o.start);
  munmap(p, PG);
  if (!back) back = op_wait(&o, 5.0);
  result(ok && back ? "pass" : "fail", !back ? "hang" : ok ? "" : "data-mismatch", "io=%zd", n);
}

/* truncate-idle: map, write, munmap, truncate: no wait. */
static void t_truncate_idle(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  int f = make_file(path, FILEB, 16 * PG);
  void *p = map_file(f, 16 * PG, PROT_READ | PROT_WRITE);
  munmap(p, 16 * PG);
  struct op o = {.kind = OP_TRUNCATE, .fd = f};
  op_start(&o);
  int back = op_wait(&o, 10.0);
  if (!back) dump_task(getpid(), o.tid, "T2");
  else say("ftruncate(f, 0) returned %d after %.3fs", o.ret, o.end - o.start);
  result(back ? "pass" : "fail", back ? "" : "hang", "truncate_s=%.3f", back ? o.end - o.start : -1.0);
}

/* fork-pmd: a 2 MiB-aligned mapping (PMD fault where possible), fork, the child reads and writes it. */
static void t_fork_pmd(void) {
  char path[256];
  snprintf(path, sizeof path, MNT "/%s", cur);
  size_t len = 4 << 20;
  int f = make_file(path, FILEB, len);
  unsigned char *raw = mmap(NULL, len * 2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *al = (unsigned char *)(((uintptr_t)raw + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
  unsigned char *p = mmap(al, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f, 0);
  if (p == MAP_FAILED) die("mmap");
  p[0] = 0x55;
  pid_t c = fork();
  if (c == 0) {
    int ok = p[0] == 0x55 && p[(1 << 20)] == FILEB;
    p[4096] = 0x66;
    _exit(ok ? 0 : 1);
  }
  int st;
  waitpid(c, &st, 0);
  int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && p[4096] == 0x66;
  say("child saw the parent's data and its write reached the shared mapping: %s", ok ? "yes" : "no");
  munmap(p, 2 << 20);
  result(ok ? "pass" : "fail", ok ? "" : "data-mismatch", "child_status=0x%x", st);
}

/* reflink-cow: a and b share a block; a write through b's mapping copies it; a keeps its data. */
static void t_reflink_cow(void) {
  int fa, fb;
  unsigned long long phys;
  if (clone_pair(&fa, &fb, &phys)) {
    result("inconclusive", "", "error=FICLONE");
    return;
  }
  unsigned char *ma = map_file(fa, PG, PROT_READ);
  unsigned char *mb = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
  if (mb == MAP_FAILED) die("mmap");
  (void)mb[0];
  mb[0] = 0x42;
  msync(mb, PG, MS_SYNC);
  unsigned long long pb = phys_of(fb);
  int ok = ma[0] == 0x41 && mb[0] == 0x42 && pb != phys;
  say("after a write through b: a[0]=0x%02X b[0]=0x%02X, b's block %llu (shared block %llu)", ma[0], mb[0], pb, phys);
  munmap(ma, PG);
  munmap(mb, PG);
  close(fa);
  close(fb);
  unlink_pair();
  result(ok ? "pass" : "fail", ok ? "" : "data-mismatch", "cow_block_moved=%s", pb != phys ? "yes" : "no");
}

/* ---- entry points ---- */

static int arg_int(int argc, char **argv, const char *key, int def) {
  size_t k = strlen(key);
  for (int i = 0; i < argc; i++)
    if (!strncmp(argv[i], key, k) && argv[i][k] == '=') return atoi(argv[i] + k + 1);
  return def;
}

static int run_test(const char *id, int argc, char **argv) {
  cur = id;
  grace = arg_int(argc, argv, "grace", 5);
  rng ^= (uint64_t)arg_int(argc, argv, "seed", 1) * 0x9E3779B97F4A7C15ULL;
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1; /* no SA_RESTART: a signal ends an interruptible sleep */
  sigaction(SIGUSR1, &sa, NULL);
  if (!strcmp(id, "truncate-during-dma")) t_dma(M_TRUNCATE);
  else if (!strcmp(id, "munmap-then-truncate-dma")) t_dma(M_MUNMAP_TRUNCATE);
  else if (!strcmp(id, "evict-during-dma")) t_dma(M_EVICT);
  else if (!strcmp(id, "get-holder-vs-pin-wait")) t_getholder(0);
  else if (!strcmp(id, "get-holder-munmap-truncate")) t_getholder(1);
  else if (!strcmp(id, "reflink-shared-block")) t_reflink_shared();
  else if (!strcmp(id, "reflink-truncate-refault"))
    t_reflink_refault(arg_int(argc, argv, "iterations", 2000), arg_int(argc, argv, "seconds", 45));
  else if (!strcmp(id, "reflink-truncate-getholder")) t_reflink_holder(0);
  else if (!strcmp(id, "reflink-truncate-pinned")) t_reflink_holder(1);
  else if (!strcmp(id, "longterm-pin-refused")) t_longterm();
  else if (!strncmp(id, "unbind-while-mapped", 19)) t_unbind_mapped();
  else if (!strcmp(id, "unbind-while-pinned")) t_unbind_pinned();
  else if (!strcmp(id, "fork-split-vma")) t_fork_split();
  else if (!strcmp(id, "fault-rw-basic")) t_fault_rw();
  else if (!strcmp(id, "gup-pin-unpin")) t_gup(0);
  else if (!strcmp(id, "odirect-unfaulted")) t_gup(1);
  else if (!strcmp(id, "truncate-idle")) t_truncate_idle();
  else if (!strcmp(id, "fork-pmd")) t_fork_pmd();
  else if (!strcmp(id, "reflink-cow")) t_reflink_cow();
  else {
    fprintf(stderr, "daxtest: unknown test '%s'\n", id);
    return 2;
  }
  return 0;
}

/* The watchdog: run the test in a child; on timeout dump every thread's stack, ask sysrq for
   blocked tasks and CPU backtraces, kill it, and print a RESULT line if the test did not. */
static int watchdog(double secs, const char *id, int argc, char **argv) {
  shared_done = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *shared_done = 0;
  cur = id;
  printf("DAXTEST BEGIN %s\n", id);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int r = run_test(id, argc, argv);
    if (!*shared_done && r == 0) result("inconclusive", "", "error=no-result");
    fflush(stdout);
    _exit(r);
  }
  double end = now() + secs;
  int st = 0;
  pid_t w = 0;
  double reported = 0;
  while ((w = waitpid(c, &st, WNOHANG)) == 0 && now() < end) {
    msleep(20);
    if (*shared_done && reported == 0) reported = now();
    if (reported > 0 && now() - reported > 10) {
      /* The result is in; the test process cannot exit (e.g. D state in exit_aio after an oops). */
      say("WATCHDOG: %s printed its result but has not exited 10s later; stacks of its threads:", id);
      char p[64];
      snprintf(p, sizeof p, "/proc/%d/task", c);
      DIR *d = opendir(p);
      struct dirent *e;
      while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') dump_task(c, atoi(e->d_name), "thread");
      if (d) closedir(d);
      kill(c, SIGKILL);
      printf("DAXTEST END %s\n", id);
      fflush(stdout);
      return 1;
    }
  }
  if (w == 0) {
    say("WATCHDOG: %s still running after %.0fs; stacks of its threads:", id, secs);
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task", c);
    DIR *d = opendir(p);
    struct dirent *e;
    while (d && (e = readdir(d)))
      if (e->d_name[0] != '.') dump_task(c, atoi(e->d_name), "thread");
    if (d) closedir(d);
    sysrq('w');
    sysrq('l');
    kill(c, SIGKILL);
    double k = now() + 5;
    while ((w = waitpid(c, &st, WNOHANG)) == 0 && now() < k) msleep(20);
    if (!*shared_done) result("fail", "hang", "watchdog_s=%.0f killed=%s", secs, w == c ? "yes" : "no");
  } else if (!*shared_done) {
    result(WIFSIGNALED(st) ? "fail" : "inconclusive", WIFSIGNALED(st) ? "oops" : "",
           "test_process=%s", WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited-without-result");
  }
  printf("DAXTEST END %s\n", id);
  fflush(stdout);
  return w == 0 ? 1 : 0;
}

/* daxtest fill DEV BYTE: write BYTE over the whole block device (the DMA marker). */
static int fill(const char *dev, int byte) {
  int fd = open(dev, O_WRONLY);
  if (fd < 0) return perror(dev), 1;
  char b[65536];
  memset(b, byte, sizeof b);
  while (write(fd, b, sizeof b) == (ssize_t)sizeof b) {
  }
  fsync(fd);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  t0 = now();
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && !strcmp(argv[1], "run")) return watchdog(atof(argv[2]), argv[3], argc - 4, argv + 4);
  if (argc == 4 && !strcmp(argv[1], "fill")) return fill(argv[2], (int)strtol(argv[3], NULL, 0));
  if (argc >= 2 && strcmp(argv[1], "run") && strcmp(argv[1], "fill")) return run_test(argv[1], argc - 2, argv + 2);
  fprintf(stderr, "usage: daxtest run SECONDS TEST [key=value...] | daxtest TEST | daxtest fill DEV BYTE\n");
  return 2;
}
